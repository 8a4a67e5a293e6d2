import Foundation

/// The top-level members of a JSON object as Telegram's Bot API server reads a request body:
/// string values decoded, every other value kept as its JSON text.
///
/// That rule makes both `{"reply_markup":{...}}` and `{"reply_markup":"{...}"}` work, as they
/// do against Telegram (see FACTS.md, "Making requests").
public enum JSONFields {
    public enum Value: Sendable, Equatable {
        case string(String)
        /// Any non-string value, as the JSON text it was sent as (`42`, `true`, `[...]`, `{...}`).
        case json(String)
        case null
    }

    /// Parses `data`, which must hold one JSON object; later duplicates of a key win.
    public static func parse(_ data: Data) throws(JSONScanError) -> [(key: String, value: Value)] {
        do {
            return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(JSONScanError) -> [(key: String, value: Value)] in
                var s = JSONScanner(raw)
                var out: [(key: String, value: Value)] = []
                try s.beginObject()
                var first = true
                while let key = try s.nextKey(first: &first) {
                    let name = s.keyString(key)
                    switch try s.peek() {
                    case UInt8(ascii: "\""):
                        out.append((name, .string(try s.readString())))
                    case UInt8(ascii: "n"):
                        try s.skipValue()
                        out.append((name, .null))
                    default:
                        let start = s.index
                        try s.skipValue()
                        out.append((name, .json(String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<s.index]), as: UTF8.self))))
                    }
                }
                s.skipWhitespace()
                guard s.index == s.end else { throw s.error("trailing bytes after the object") }
                return out
            }
        } catch let error as JSONScanError {
            throw error
        } catch {
            preconditionFailure("unreachable: \(error)")
        }
    }

    /// `text` as a JSON string literal, escaped (for writing JSON by hand on hot paths).
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
