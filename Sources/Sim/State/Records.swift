import Foundation

/// A chat the emulator knows (from an injected update), with its own message ids.
struct ChatRecord: Sendable {
    var id: Int64
    /// The `Chat` object as it appears in messages.
    var json: String
    var type: String
    var nextMessageID = 1
    var blocked = false
    var username: String?
}

/// A message in a chat, enough to answer edits, deletes, forwards and copies faithfully.
struct MessageRecord: Sendable {
    enum Media: Sendable {
        case photo(fileID: String, uniqueID: String, width: Int, height: Int, size: Int)
        case document(fileID: String, uniqueID: String, name: String, mime: String?, size: Int)
    }

    var chatID: Int64
    var messageID: Int
    var date: Int
    var fromBot: Bool
    /// The sender's `User` JSON (the bot, or the user who wrote it).
    var fromJSON: String?
    var text: String?
    var entitiesJSON: String?
    var replyMarkupJSON: String?
    var caption: String?
    var media: Media?
    var forwardOriginJSON: String?
    var editDate: Int?
    var replyToMessageID: Int?

    /// The `Message` object, in the chat whose JSON is `chatJSON`.
    func json(chatJSON: String, replyJSON: String? = nil) -> String {
        var s = #"{"message_id":\#(messageID)"#
        if let fromJSON { s += #","from":\#(fromJSON)"# }
        s += #","chat":\#(chatJSON),"date":\#(date)"#
        if let editDate { s += #","edit_date":\#(editDate)"# }
        if let forwardOriginJSON { s += #","forward_origin":\#(forwardOriginJSON)"# }
        if let replyJSON { s += #","reply_to_message":\#(replyJSON)"# }
        if let text { s += #","text":\#(JSONText.quoted(text))"# }
        if let entitiesJSON { s += #","entities":\#(entitiesJSON)"# }
        switch media {
        case .photo(let id, let unique, let w, let h, let size)?:
            let small = #"{"file_id":\#(JSONText.quoted(id + "_s")),"file_unique_id":\#(JSONText.quoted(unique + "s")),"file_size":\#(max(1, size / 10)),"width":\#(max(1, w / 4)),"height":\#(max(1, h / 4))}"#
            let full = #"{"file_id":\#(JSONText.quoted(id)),"file_unique_id":\#(JSONText.quoted(unique)),"file_size":\#(size),"width":\#(w),"height":\#(h)}"#
            s += #","photo":[\#(small),\#(full)]"#
        case .document(let id, let unique, let name, let mime, let size)?:
            s += #","document":{"file_id":\#(JSONText.quoted(id)),"file_unique_id":\#(JSONText.quoted(unique)),"file_name":\#(JSONText.quoted(name))"#
            if let mime { s += #","mime_type":\#(JSONText.quoted(mime))"# }
            s += #","file_size":\#(size)}"#
        case nil: break
        }
        if let caption { s += #","caption":\#(JSONText.quoted(caption))"# }
        if let replyMarkupJSON { s += #","reply_markup":\#(replyMarkupJSON)"# }
        return s + "}"
    }
}

/// An uploaded file, downloadable at `/file/bot<token>/<path>`.
struct FileRecord: Sendable {
    var fileID: String
    var uniqueID: String
    var path: String
    var data: Data
}

struct MessageKey: Hashable, Sendable {
    var chat: Int64
    var message: Int
}
