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
        guard let boundary = parameter("boundary", in: contentType) else { return nil }
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
