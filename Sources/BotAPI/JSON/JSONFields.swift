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
        var out: [UInt8] = []
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal: quotes, backslashes and control characters
    /// escaped, everything else as its UTF-8 bytes, in runs (a reply's body is written into one
    /// buffer sized once, not joined from strings).
    public static func appendQuoted(_ text: String, to out: inout Data) {
        var bytes: [UInt8] = []
        appendQuoted(text, to: &bytes)
        bytes.withUnsafeBytes { out.append(contentsOf: $0) }
    }

    /// The same into an array: a small append to a `Data` costs ~900 instructions (its storage
    /// checks), to an array a few dozen (`scripts/bench instructions`).
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            out.reserveCapacity(out.count + bytes.count + 2)
            out.append(UInt8(ascii: "\""))
            var run = 0
            for i in bytes.indices where bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "\\") || bytes[i] < 0x20 {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i]))
                appendEscape(bytes[i], to: &out)
                run = i + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
            out.append(UInt8(ascii: "\""))
        }
    }

    /// The escape of a quote, a backslash or a control character: `\"`, `\\`, `\n`, `\u001f`.
    private static func appendEscape(_ byte: UInt8, to out: inout [UInt8]) {
        let short: UInt8? = switch byte {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case UInt8(ascii: "\n"): UInt8(ascii: "n")
        case UInt8(ascii: "\r"): UInt8(ascii: "r")
        case UInt8(ascii: "\t"): UInt8(ascii: "t")
        default: nil
        }
        out.append(UInt8(ascii: "\\"))
        guard let short else {
            out += [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            return
        }
        out.append(short)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
