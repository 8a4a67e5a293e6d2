import Foundation

/// A file to send: one Telegram already has (`file_id`), one it should fetch (an HTTP URL), or
/// bytes to upload with `multipart/form-data`.
///
/// An upload cannot be written as JSON. While a request is encoded, each upload registers
/// itself with the request's `UploadCollector` and writes `attach://<name>` in its place
/// (Telegram's convention); the client then sends the call as multipart with one file part per
/// upload. A top-level parameter (`sendPhoto.photo`) uses its own name as the part name.
public enum InputFile: Codable, Sendable, Equatable {
    case fileID(String)
    case url(String)
    case upload(FileUpload)

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        if s.hasPrefix("http://") || s.hasPrefix("https://") {
            self = .url(s)
        } else {
            self = .fileID(s)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .fileID(let s), .url(let s):
            try c.encode(s)
        case .upload(let file):
            guard let collector = encoder.userInfo[UploadCollector.userInfoKey] as? UploadCollector else {
                throw EncodingError.invalidValue(self, .init(
                    codingPath: encoder.codingPath,
                    debugDescription: "a file upload can only be sent as multipart/form-data"))
            }
            let name = collector.add(file, topLevelKey: encoder.codingPath.count == 1 ? encoder.codingPath[0].stringValue : nil)
            try c.encode("attach://" + name)
        }
    }
}

/// Bytes to upload, with the file name and media type Telegram will see.
public struct FileUpload: Sendable, Equatable {
    public var data: Data
    public var filename: String
    public var contentType: String

    public init(data: Data, filename: String, contentType: String = "application/octet-stream") {
        self.data = data
        self.filename = filename
        self.contentType = contentType
    }
}
