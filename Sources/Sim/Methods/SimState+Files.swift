import Foundation

/// sendPhoto, sendDocument, getFile and the download path.
extension SimState {
    mutating func sendPhoto(_ p: BotParams, token: String) throws(APIError) -> APIResult {
        let caption = try checkedCaption(p)
        let markup = try replyMarkup(p)
        let chat = try sendableChat(p)
        let file = try storeFile(p["photo"], name: "photo", folder: "photos", defaultExtension: "jpg")
        let record = postMessage(in: chat.id, token: token) {
            $0.media = .photo(fileID: file.fileID, uniqueID: file.uniqueID, width: 800, height: 600, size: max(file.data.count, 1))
            $0.caption = caption
            $0.replyMarkupJSON = markup
        }
        return .ok(render(record))
    }

    mutating func sendDocument(_ p: BotParams, token: String) throws(APIError) -> APIResult {
        let caption = try checkedCaption(p)
        let markup = try replyMarkup(p)
        let chat = try sendableChat(p)
        let file = try storeFile(p["document"], name: "document", folder: "documents", defaultExtension: "bin")
        var filename = String(file.path.split(separator: "/").last ?? "file")
        var mime: String?
        if case .file(let upload)? = p["document"] {
            filename = upload.filename
            mime = upload.contentType
        }
        let record = postMessage(in: chat.id, token: token) {
            $0.media = .document(fileID: file.fileID, uniqueID: file.uniqueID, name: filename, mime: mime, size: file.data.count)
            $0.caption = caption
            $0.replyMarkupJSON = markup
        }
        return .ok(render(record))
    }

    func getFile(_ p: BotParams) throws(APIError) -> APIResult {
        guard let id = p.string("file_id"), !id.isEmpty else { throw .badRequest("file_id is empty") }
        let baseID = id.hasSuffix("_s") ? String(id.dropLast(2)) : id
        guard let file = files[baseID] else { throw .badRequest("invalid file_id") }
        return .ok(#"{"file_id":\#(JSONText.quoted(id)),"file_unique_id":\#(JSONText.quoted(file.uniqueID)),"file_size":\#(file.data.count),"file_path":\#(JSONText.quoted(file.path))}"#)
    }

    func download(path: String) -> Data? {
        filesByPath[path].flatMap { files[$0]?.data }
    }

    private func checkedCaption(_ p: BotParams) throws(APIError) -> String? {
        guard let caption = p.string("caption"), !caption.isEmpty else { return nil }
        guard caption.count <= 1024 else { throw .badRequest("message caption is too long") }
        return caption
    }

    /// An upload is stored; a known file_id is reused; a URL is "fetched" (stored empty).
    private mutating func storeFile(_ value: BotParams.Value?, name: String, folder: String, defaultExtension: String) throws(APIError) -> FileRecord {
        var data = Data()
        var ext = defaultExtension
        switch value {
        case .file(let upload)?:
            data = upload.data
            if let dot = upload.filename.lastIndex(of: "."), upload.filename.distance(from: dot, to: upload.filename.endIndex) <= 6 {
                ext = String(upload.filename[upload.filename.index(after: dot)...])
            }
        case .text(let s)?:
            if s.hasPrefix("attach://") { throw .badRequest("there is no file in the request") }
            if let known = files[s] { return known }
            guard s.hasPrefix("http://") || s.hasPrefix("https://") else { throw .badRequest("wrong remote file identifier specified: Wrong string length") }
        case .json?, nil:
            throw .badRequest("there is no \(name) in the request")
        }
        return register(data, folder: folder, extension: ext)
    }

    /// Keeps `data` as a file with a new id, downloadable by its path.
    mutating func register(_ data: Data, folder: String, extension ext: String) -> FileRecord {
        let n = nextFileNumber
        nextFileNumber += 1
        let record = FileRecord(fileID: "SIMFILE\(n)\(folder.prefix(3).uppercased())", uniqueID: "U\(n)",
                                path: "\(folder)/file_\(n).\(ext)", data: data)
        files[record.fileID] = record
        filesByPath[record.path] = record.fileID
        return record
    }
}
