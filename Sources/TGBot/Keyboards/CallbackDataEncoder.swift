/// Packs a flat `Codable` value into positional strings for `CallbackData`.
final class CallbackDataEncoder: Encoder {
    /// The values written so far, escaped, in order.
    final class Fields {
        var values: [String] = []
    }

    let fields: Fields
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]
    /// True for the encoder of one field (it may write one value only).
    private let isField: Bool

    init(fields: Fields = Fields(), isField: Bool = false) {
        self.fields = fields
        self.isField = isField
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: ":", with: "%3A")
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "%3A", with: ":").replacingOccurrences(of: "%25", with: "%")
    }

    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(Keyed<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        Refusing(codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        Single(encoder: self)
    }

    /// Writes one scalar.
    func write(_ text: String) throws {
        fields.values.append(Self.escape(text))
    }

    /// Writes a field of any type: scalars directly, anything else through its own encoding
    /// (an enum's raw value), which must come down to one scalar.
    func write<T: Encodable>(_ value: T) throws {
        switch value {
        case let v as String: try write(v)
        case let v as Bool: try write(v ? "1" : "0")
        case let v as any BinaryInteger: try write("\(v)")
        case let v as Double: try write("\(v)")
        case let v as Float: try write("\(v)")
        default:
            let before = fields.values.count
            try value.encode(to: CallbackDataEncoder(fields: fields, isField: true))
            guard fields.values.count == before + 1 else {
                throw Unsupported(description: "a field of type \(T.self) is not one plain value")
            }
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: CallbackDataEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        func encodeNil(forKey key: Key) throws { try encoder.write("") }
        func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            guard !encoder.isField else { throw Unsupported(description: "field \(key.stringValue) is nested") }
            try encoder.write(value)
        }
        // Positional: an absent optional still takes its place. The synthesized `Encodable`
        // calls the overload of its field's type, and the default of each skips a nil.
        func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        func encodeIfPresent(_ v: String?, forKey k: Key) throws { try encodeIfPresent(v.map { $0 as any Encodable }, k) }
        func encodeIfPresent(_ v: Int?, forKey k: Key) throws { try encodeIfPresent(v.map { $0 as any Encodable }, k) }
        func encodeIfPresent(_ v: Bool?, forKey k: Key) throws { try encodeIfPresent(v.map { $0 as any Encodable }, k) }
        func encodeIfPresent(_ v: Double?, forKey k: Key) throws { try encodeIfPresent(v.map { $0 as any Encodable }, k) }
        func encodeIfPresent(_ v: Int64?, forKey k: Key) throws { try encodeIfPresent(v.map { $0 as any Encodable }, k) }
        func encodeIfPresent(_ v: UInt64?, forKey k: Key) throws { try encodeIfPresent(v.map { $0 as any Encodable }, k) }
        private func encodeIfPresent(_ value: (any Encodable)?, _ key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type, forKey key: Key) -> KeyedEncodingContainer<N> {
            KeyedEncodingContainer(Keyed<N>(encoder: CallbackDataEncoder(fields: encoder.fields, isField: true)))
        }
        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { Refusing(codingPath: codingPath) }
        func superEncoder() -> any Encoder { encoder }
        func superEncoder(forKey key: Key) -> any Encoder { encoder }
    }

    struct Single: SingleValueEncodingContainer {
        let encoder: CallbackDataEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        func encodeNil() throws { try encoder.write("") }
        func encode<T: Encodable>(_ value: T) throws { try encoder.write(value) }
    }

    /// Arrays do not fit positional packing.
    struct Refusing: UnkeyedEncodingContainer {
        var codingPath: [any CodingKey]
        var count: Int { 0 }
        func encodeNil() throws { throw Unsupported(description: "arrays cannot be callback data") }
        func encode<T: Encodable>(_ value: T) throws { throw Unsupported(description: "arrays cannot be callback data") }
        func nestedContainer<N: CodingKey>(keyedBy keyType: N.Type) -> KeyedEncodingContainer<N> {
            KeyedEncodingContainer(Keyed<N>(encoder: CallbackDataEncoder(isField: true)))
        }
        func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { self }
        func superEncoder() -> any Encoder { CallbackDataEncoder(isField: true) }
    }
}
