import Foundation

/// Turns a method's parameters into a request body: JSON, or `multipart/form-data` when the
/// parameters carry a file upload (see `InputFile`).
///
/// In multipart, as Telegram reads it, a string parameter is sent as its text and anything
/// else (numbers, booleans, arrays, objects) as JSON text.
enum RequestEncoder {
    static func encode<M: BotMethod>(_ method: M) throws -> HTTPRequest.Body {
        let collector = UploadCollector()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.userInfo[UploadCollector.userInfoKey] = collector
        let json = try encoder.encode(method)
        let uploads = collector.parts
        if uploads.isEmpty {
            return json.count <= 2 ? .none : .bytes(json, contentType: "application/json")
        }
        let object = try JSONDecoder().decode([String: JSONValue].self, from: json)
        let plain = JSONEncoder()
        plain.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        var fields: [HTTPRequest.MultipartField] = []
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .string(let text):
                // A top-level upload is sent under its own parameter name, not as attach://.
                if text == "attach://" + key, uploads.contains(where: { $0.name == key }) { continue }
                fields.append(.init(name: key, data: Data(text.utf8)))
            case .null:
                continue
            default:
                fields.append(.init(name: key, data: try plain.encode(value)))
            }
        }
        for part in uploads {
            fields.append(.init(name: part.name, data: part.file.data, filename: part.file.filename,
                                contentType: part.file.contentType))
        }
        return .multipart(fields)
    }
}
