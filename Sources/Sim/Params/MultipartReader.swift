import Foundation
import MultipartKit
import NIOCore

/// Splits a `multipart/form-data` body into parts, with MultipartKit's parser.
enum MultipartReader {
    struct Part {
        var name: String
        var filename: String?
        var contentType: String?
        var data: Data
    }

    /// nil when the body or its boundary is malformed.
    static func parse(_ body: Data, contentType: String) -> [Part]? {
        guard let boundary = parameter("boundary", in: contentType), !boundary.isEmpty,
              headerNamesAreASCII(body, boundary: boundary) else { return nil }
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var headers: [(String, String)] = []
        var data = Data()
        parser.onHeader = { name, value in headers.append((name.lowercased(), value)) }
        parser.onBody = { buffer in data.append(contentsOf: buffer.readableBytesView) }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0 == "content-disposition" }?.1 ?? ""
            if let name = parameter("name", in: disposition) {
                parts.append(Part(name: name, filename: parameter("filename", in: disposition),
                                  contentType: headers.first { $0.0 == "content-type" }?.1, data: data))
            }
            headers.removeAll()
            data = Data()
        }
        do {
            try parser.execute(ByteBuffer(bytes: body))
        } catch {
            return nil
        }
        return parts
    }

    /// Whether no header name of any part holds a byte above 0x7F. MultipartKit 4.7.1 looks a
    /// header name's bytes up in a 128-entry table and traps on any other (found by the
    /// sim-params fuzz target), so such a body is refused before it gets there. Conservative:
    /// every `--boundary` after a blank line counts as a part's start, every CR or LF as a line's,
    /// and a line's bytes up to its first colon as a name, up to the part's blank line.
    static func headerNamesAreASCII(_ body: Data, boundary: String) -> Bool {
        let bytes = [UInt8](body), delimiter = Array("--\(boundary)".utf8)
        var i = 0
        while let start = firstIndex(of: delimiter, in: bytes, from: i) {
            var j = start + delimiter.count, inName = true
            while j < bytes.count {
                let b = bytes[j]
                if b == 0x0D || b == 0x0A {
                    if j + 3 < bytes.count, bytes[j..<(j + 4)].elementsEqual([0x0D, 0x0A, 0x0D, 0x0A]) { break }
                    inName = true
                } else if b == UInt8(ascii: ":") {
                    inName = false
                } else if b >= 0x80, inName {
                    return false
                }
                j += 1
            }
            // A delimiter inside a header block is not one (the parser reads headers there).
            i = max(start + 1, j)
        }
        return true
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count, from <= bytes.count - needle.count else { return nil }
        for k in from...(bytes.count - needle.count) where bytes[k] == needle[0] && bytes[k..<(k + needle.count)].elementsEqual(needle) {
            return k
        }
        return nil
    }

    /// A `key=value` or `key="value"` parameter of a header value.
    static func parameter(_ key: String, in header: String) -> String? {
        for item in header.split(separator: ";") {
            let kv = item.split(separator: "=", maxSplits: 1)
            guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = kv[1].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            return value
        }
        return nil
    }
}
