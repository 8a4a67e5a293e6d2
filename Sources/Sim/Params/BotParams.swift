import BotAPI
import Foundation

/// The parameters of one Bot API call, however they were sent: query string, form,
/// JSON or multipart, merged as Telegram's server merges them (query first, body after).
public struct BotParams: Sendable {
    public enum Value: Sendable, Equatable {
        /// A string value (every form and query value, and JSON strings).
        case text(String)
        /// A non-string JSON value, as its JSON text.
        case json(String)
        /// A multipart file part.
        case file(Upload)
    }

    public struct Upload: Sendable, Equatable {
        public var filename: String
        public var contentType: String?
        public var data: Data
    }

    public private(set) var values: [String: Value] = [:]
    /// Names in the order they were sent, for the transcript.
    public private(set) var order: [String] = []

    public init() {}

    public init(_ pairs: [(String, Value)]) {
        for (k, v) in pairs { set(k, v) }
    }

    public mutating func set(_ name: String, _ value: Value) {
        if values.updateValue(value, forKey: name) == nil { order.append(name) }
    }

    // MARK: - Parsing

    /// Parses a request's query string and body.
    package static func parse(query: Substring?, contentType: String?, body: Data) throws(APIError) -> BotParams {
        var params = BotParams()
        if let query, !query.isEmpty { params.addForm(query) }
        guard !body.isEmpty else { return params }
        let type = (contentType ?? "").lowercased()
        if type.hasPrefix("application/json") {
            guard let fields = try? JSONFields.parse(body) else {
                throw .badRequest("can't parse JSON object")
            }
            for (key, value) in fields {
                switch value {
                case .string(let s): params.set(key, .text(s))
                case .json(let j): params.set(key, .json(j))
                case .null: continue
                }
            }
        } else if type.hasPrefix("multipart/form-data") {
            try params.addMultipart(body, contentType: contentType ?? "")
        } else {
            // application/x-www-form-urlencoded, and what clients send without a type.
            params.addForm(Substring(String(decoding: body, as: UTF8.self)))
        }
        return params
    }

    private mutating func addForm(_ text: Substring) {
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.percentDecode(parts[0])
            let value = parts.count > 1 ? Self.percentDecode(parts[1]) : ""
            set(key, .text(value))
        }
    }

    static func percentDecode(_ s: Substring) -> String {
        guard s.contains("%") || s.contains("+") else { return String(s) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%"), it.count >= 2,
                      let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func addMultipart(_ body: Data, contentType: String) throws(APIError) {
        guard let parts = MultipartReader.parse(body, contentType: contentType) else {
            throw .badRequest("can't parse multipart/form-data request")
        }
        for part in parts {
            if let filename = part.filename {
                set(part.name, .file(Upload(filename: filename, contentType: part.contentType, data: part.data)))
            } else {
                set(part.name, .text(String(decoding: part.data, as: UTF8.self)))
            }
        }
    }

    // MARK: - Typed access, with Telegram's errors

    public subscript(_ name: String) -> Value? { values[name] }

    /// The value as text: a string as is, a JSON value as its JSON text.
    public func string(_ name: String) -> String? {
        switch values[name] {
        case .text(let s): return s
        case .json(let j): return j
        case .file, nil: return nil
        }
    }

    public func int64(_ name: String) throws(APIError) -> Int64? {
        guard let s = string(name), !s.isEmpty else { return nil }
        guard let v = Int64(s.trimmingCharacters(in: .whitespaces)) else { throw .badRequest("invalid \(name) specified") }
        return v
    }

    public func int(_ name: String) throws(APIError) -> Int? {
        try int64(name).map { Int(clamping: $0) }
    }

    public func bool(_ name: String) -> Bool {
        switch string(name)?.lowercased() {
        case "true", "1": return true
        default: return false
        }
    }

    /// A JSON-serialized parameter (`reply_markup`, `entities`, `allowed_updates`) decoded.
    public func decode<T: Decodable>(_ type: T.Type, _ name: String) throws(APIError) -> T? {
        guard let text = string(name), !text.isEmpty else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw .badRequest("can't parse \(name) JSON object")
        }
    }

    /// The raw JSON text of a JSON-serialized parameter, validated.
    public func jsonText(_ name: String) throws(APIError) -> String? {
        guard let text = string(name), !text.isEmpty else { return nil }
        guard JSONText.isValid(text) else { throw .badRequest("can't parse \(name) JSON object") }
        return text
    }

    /// The parameters as a JSON object for the transcript: strings as strings, JSON values
    /// (and strings holding a JSON object or array, as JSON-serialized parameters are sent in
    /// forms) as JSON, files as `{"file":name,"size":n}`.
    public var transcriptJSON: String {
        var parts: [String] = []
        parts.reserveCapacity(order.count)
        for key in order {
            guard let value = values[key] else { continue }
            let rendered: String
            switch value {
            case .text(let s):
                if let first = s.first, first == "{" || first == "[", JSONText.isValid(s) {
                    rendered = s
                } else {
                    rendered = JSONText.quoted(s)
                }
            case .json(let j): rendered = j
            case .file(let f): rendered = #"{"file":\#(JSONText.quoted(f.filename)),"size":\#(f.data.count)}"#
            }
            parts.append(JSONText.quoted(key) + ":" + rendered)
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}
