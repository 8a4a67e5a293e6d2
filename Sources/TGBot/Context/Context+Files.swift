import BotAPI
import Foundation

/// Files both ways: downloading what a user sent, sending a photo or a document to the chat.
extension Context {
    /// Downloads a file a user sent, by its `file_id` (`ctx.message?.photo?.last?.fileID`):
    /// `getFile`, then the download, at once in both modes (reading changes nothing).
    public func download(_ fileID: String) async throws -> Data {
        let file = try await client.call(BotMethods.GetFile(fileID: fileID))
        guard let path = file.filePath else { throw ContextError(message: "Telegram gave no path for file \(fileID) (too big to download?)") }
        return try await client.download(filePath: path)
    }

    /// Sends a photo to the update's chat: a `file_id` or URL in both modes, bytes
    /// (`.upload`) from a concurrent handler (a serial handler's calls wait in the outbox as
    /// JSON, which cannot hold an upload).
    @discardableResult
    public func replyPhoto(_ photo: InputFile, caption: String? = nil, keyboard: InlineKeyboard? = nil) async throws -> SentMessage {
        let chat = try replyChat(for: photo)
        return try await send(BotMethods.SendPhoto(chatID: .id(chat), photo: photo, caption: caption,
                                                   replyMarkup: try keyboard.map { try $0.markup() }))
    }

    /// Sends a document to the update's chat; the same rules as `replyPhoto`.
    @discardableResult
    public func replyDocument(_ document: InputFile, caption: String? = nil, keyboard: InlineKeyboard? = nil) async throws -> SentMessage {
        let chat = try replyChat(for: document)
        return try await send(BotMethods.SendDocument(chatID: .id(chat), document: document, caption: caption,
                                                      replyMarkup: try keyboard.map { try $0.markup() }))
    }

    private func replyChat(for file: InputFile) throws -> Int64 {
        guard let chat = chatID ?? raw.routingKey?.id else { throw ContextError(message: "this update has no chat to reply to") }
        if isSerial, case .upload = file {
            throw ContextError(message: "a serial handler's calls wait in the outbox as JSON: upload from a concurrent handler or a job, "
                                        + "or send a file_id or URL")
        }
        return chat
    }
}
