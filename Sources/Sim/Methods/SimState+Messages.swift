import BotAPI
import Foundation

/// sendMessage, editMessageText, deleteMessage, forwardMessage, copyMessage, sendChatAction.
extension SimState {
    static let maxTextLength = 4096

    mutating func sendMessage(_ p: BotParams, token: String) throws(APIError) -> APIResult {
        let text = p.string("text") ?? ""
        guard !text.isEmpty else { throw .badRequest("message text is empty") }
        guard text.count <= Self.maxTextLength else { throw .badRequest("message is too long") }
        let entities = try p.jsonText("entities")
        let markup = try replyMarkup(p)
        let chat = try sendableChat(p)
        let replyTo = try replyTarget(p, chat: chat.id)
        let record = postMessage(in: chat.id, token: token) {
            $0.text = text
            $0.entitiesJSON = entities
            $0.replyMarkupJSON = markup
            $0.replyToMessageID = replyTo
        }
        return .ok(render(record))
    }

    mutating func editMessageText(_ p: BotParams, token: String) throws(APIError) -> APIResult {
        let text = p.string("text") ?? ""
        guard !text.isEmpty else { throw .badRequest("message text is empty") }
        guard text.count <= Self.maxTextLength else { throw .badRequest("message is too long") }
        if p.string("inline_message_id") != nil { return .ok("true") }
        let chat = try self.chat(try p.int64("chat_id") ?? 0)
        guard let id = try p.int("message_id"), var record = messages[MessageKey(chat: chat.id, message: id)] else {
            throw .badRequest("message to edit not found")
        }
        guard record.fromBot else { throw .badRequest("message can't be edited") }
        let entities = try p.jsonText("entities")
        let markup = try replyMarkup(p)
        if record.text == text, record.entitiesJSON == entities, record.replyMarkupJSON == markup {
            throw .badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
        }
        record.text = text
        record.entitiesJSON = entities
        record.replyMarkupJSON = markup
        record.editDate = Self.now
        messages[MessageKey(chat: chat.id, message: id)] = record
        return .ok(render(record))
    }

    mutating func deleteMessage(_ p: BotParams) throws(APIError) -> APIResult {
        let chat = try self.chat(try p.int64("chat_id") ?? 0)
        guard let id = try p.int("message_id"), messages.removeValue(forKey: MessageKey(chat: chat.id, message: id)) != nil else {
            throw .badRequest("message to delete not found")
        }
        return .ok("true")
    }

    mutating func forwardMessage(_ p: BotParams, token: String) throws(APIError) -> APIResult {
        let source = try sourceMessage(p)
        let chat = try sendableChat(p)
        let origin = originJSON(of: source)
        let record = postMessage(in: chat.id, token: token) {
            $0.text = source.text
            $0.entitiesJSON = source.entitiesJSON
            $0.caption = source.caption
            $0.media = source.media
            $0.forwardOriginJSON = origin
        }
        return .ok(render(record))
    }

    mutating func copyMessage(_ p: BotParams, token: String) throws(APIError) -> APIResult {
        let source = try sourceMessage(p)
        let markup = try replyMarkup(p)
        let chat = try sendableChat(p)
        let record = postMessage(in: chat.id, token: token) {
            $0.text = source.text
            $0.entitiesJSON = source.entitiesJSON
            $0.caption = p.string("caption") ?? source.caption
            $0.media = source.media
            $0.replyMarkupJSON = markup
        }
        return .ok(#"{"message_id":\#(record.messageID)}"#)
    }

    static let chatActions: Set<String> = [
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    ]

    mutating func sendChatAction(_ p: BotParams) throws(APIError) -> APIResult {
        guard let action = p.string("action"), Self.chatActions.contains(action) else {
            throw .badRequest("wrong parameter action in request")
        }
        let chat = try self.chat(try p.int64("chat_id") ?? 0)
        if chat.blocked { throw .blocked }
        return .ok("true")
    }

    // MARK: - Helpers

    private func sourceMessage(_ p: BotParams) throws(APIError) -> MessageRecord {
        let from = try self.chat(try p.int64("from_chat_id") ?? 0)
        guard let id = try p.int("message_id"), let record = messages[MessageKey(chat: from.id, message: id)] else {
            throw .badRequest("message to forward not found")
        }
        return record
    }

    private func originJSON(of source: MessageRecord) -> String {
        let chat = chats[source.chatID]
        if chat?.type == "channel", let json = chat?.json {
            return #"{"type":"channel","chat":\#(json),"message_id":\#(source.messageID),"date":\#(source.date)}"#
        }
        let sender = source.fromJSON ?? #"{"id":0,"is_bot":false,"first_name":"Unknown"}"#
        return #"{"type":"user","sender_user":\#(sender),"date":\#(source.date)}"#
    }

    func replyMarkup(_ p: BotParams) throws(APIError) -> String? {
        guard let text = try p.jsonText("reply_markup") else { return nil }
        // Telegram checks callback_data length (1-64 bytes) when the markup is sent.
        if let markup = try? JSONDecoder().decode(ReplyMarkup.self, from: Data(text.utf8)),
           case .inlineKeyboard(let keyboard) = markup {
            for row in keyboard.inlineKeyboard {
                for button in row {
                    if let data = button.callbackData, data.utf8.count < 1 || data.utf8.count > 64 {
                        throw .badRequest("BUTTON_DATA_INVALID")
                    }
                }
            }
            return text
        }
        guard (try? JSONDecoder().decode(ReplyMarkup.self, from: Data(text.utf8))) != nil else {
            throw .badRequest("can't parse reply keyboard markup JSON object")
        }
        return text
    }

    private func replyTarget(_ p: BotParams, chat: Int64) throws(APIError) -> Int? {
        var id = try p.int("reply_to_message_id")
        if id == nil, let text = p.string("reply_parameters"),
           let params = try? JSONDecoder().decode(ReplyParameters.self, from: Data(text.utf8)) {
            id = params.messageID
        }
        guard let id else { return nil }
        guard messages[MessageKey(chat: chat, message: id)] != nil else { throw .badRequest("message to be replied not found") }
        return id
    }
}
