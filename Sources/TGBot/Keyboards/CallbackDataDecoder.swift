/// Reads the positional strings of packed `CallbackData` back into the value.
final class CallbackDataDecoder: Decoder {
    /// The values, and how many have been read.
    final class Fields {
        let values: [String]
        var next = 0
        init(values: [String]) { self.values = values }
        var isAtEnd: Bool { next == values.count }

        func take() throws -> String {
            guard next < values.count else { throw Mismatch(description: "fewer values than fields") }
            defer { next += 1 }
            return values[next]
        }

        /// An empty value is nil; it is taken only then.
        func takeNil() -> Bool {
            guard next < values.count, values[next].isEmpty else { return false }
            next += 1
            return true
        }
    }

    struct Mismatch: Error, CustomStringConvertible {
        var description: String
    }

    let fields: Fields
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    init(values: [String]) { fields = Fields(values: values) }
    init(fields: Fields) { self.fields = fields }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw Mismatch(description: "arrays cannot be callback data")
    }

    func singleValueContainer() -> any SingleValueDecodingContainer { Single(decoder: self) }

    /// One field of type `T`: scalars parsed from the next value, anything else through its
    /// own decoding (an enum's raw value).
    func read<T: Decodable>(_ type: T.Type) throws -> T {
        func parsed<V>(_ v: V?) throws -> T {
            guard let v = v as? T else { throw Mismatch(description: "not a \(T.self)") }
            return v
        }
        switch type {
        case is String.Type: return try parsed(try fields.take())
        case is Bool.Type:
            let v = try fields.take()
            return try parsed(v == "1" ? true : v == "0" ? false : nil)
        case is Int.Type: return try parsed(Int(try fields.take()))
        case is Int64.Type: return try parsed(Int64(try fields.take()))
        case is Int32.Type: return try parsed(Int32(try fields.take()))
        case is UInt.Type: return try parsed(UInt(try fields.take()))
        case is UInt64.Type: return try parsed(UInt64(try fields.take()))
        case is Double.Type: return try parsed(Double(try fields.take()))
        case is Float.Type: return try parsed(Float(try fields.take()))
        default: return try T(from: CallbackDataDecoder(fields: fields))
        }
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: CallbackDataDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        var allKeys: [Key] { [] }

        func contains(_ key: Key) -> Bool { !decoder.fields.isAtEnd }
        func decodeNil(forKey key: Key) throws -> Bool { decoder.fields.takeNil() }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try decoder.read(type) }
        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: Key) throws -> KeyedDecodingContainer<N> {
            throw Mismatch(description: "field \(key.stringValue) is nested")
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw Mismatch(description: "arrays cannot be callback data")
        }
        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder { decoder }
    }

    struct Single: SingleValueDecodingContainer {
        let decoder: CallbackDataDecoder
        var codingPath: [any CodingKey] { decoder.codingPath }
        func decodeNil() -> Bool { decoder.fields.takeNil() }
        func decode<T: Decodable>(_ type: T.Type) throws -> T { try decoder.read(type) }
    }
}
