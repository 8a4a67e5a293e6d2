import Foundation

/// Makes realistic Telegram updates as JSON, for tests, benchmarks and the emulator.
///
/// Seeded, so a corpus is the same on every run. The shapes follow the Bot API (nested
/// replies whose chat differs from the update's, callback queries with and without a message,
/// inline queries, polls, reactions, member changes); texts mix ASCII, escapes and non-Latin
/// scripts so that a scanner meets what real traffic carries.
public struct UpdateFactory: Sendable {
    public var rng: SplitMix64
    public var nextUpdateID: Int64
    public var date: Int = 1_764_000_000
    private var messageIDs: [Int64: Int] = [:]

    public init(seed: UInt64 = 42, firstUpdateID: Int64 = 100_000_001) {
        rng = SplitMix64(seed: seed)
        nextUpdateID = firstUpdateID
    }

    static let firstNames = ["Alice", "Bob", "Карина", "李", "Zoë", "Mohammed", "O'Brien", "Ана"]
    static let texts = [
        "hello", "/start", "/balance", "how are you?", "quote \"this\" please", "back\\slash",
        "line one\nline two", "эмодзи 😀 и текст", "中文消息", "tab\there", "/transaction 10 42",
        "a longer message that goes on for a while to make the update a realistic size, as chats do",
    ]

    // MARK: - Building blocks

    public mutating func user(id: Int64? = nil) -> [String: Any] {
        if let id {
            // A known user looks the same in every update (stable names for golden tests).
            let name = Self.firstNames[Int(id.magnitude % UInt64(Self.firstNames.count))]
            return ["id": id, "is_bot": false, "first_name": name, "username": "user\(id)", "language_code": "en"]
        }
        let id = Int64.random(in: 10_000...9_999_999_999, using: &rng)
        var u: [String: Any] = [
            "id": id, "is_bot": false,
            "first_name": Self.firstNames.randomElement(using: &rng)!,
        ]
        if Bool.random(using: &rng) { u["last_name"] = "Example" }
        if Bool.random(using: &rng) { u["username"] = "user\(id % 100_000)" }
        if Bool.random(using: &rng) { u["language_code"] = ["en", "ru", "de", "zh-hans"].randomElement(using: &rng)! }
        return u
    }

    public func privateChat(for user: [String: Any]) -> [String: Any] {
        var c: [String: Any] = ["id": user["id"]!, "type": "private", "first_name": user["first_name"]!]
        if let u = user["username"] { c["username"] = u }
        return c
    }

    public mutating func groupChat(id: Int64? = nil) -> [String: Any] {
        let id = id ?? -Int64.random(in: 1_000_000_000_000...1_009_999_999_999, using: &rng)
        return ["id": id, "type": "supergroup", "title": "Group \(-id % 1000)", "is_forum": false]
    }

    public mutating func messageID(in chat: Int64) -> Int {
        let next = (messageIDs[chat] ?? 0) + 1
        messageIDs[chat] = next
        return next
    }

    /// A text message object (not an update) in `chat` from `from`.
    public mutating func message(chat: [String: Any], from: [String: Any]?, text: String? = nil,
                                 replyDepth: Int = 0) -> [String: Any] {
        let chatID = chat["id"] as! Int64
        date += Int.random(in: 0...3, using: &rng)
        var m: [String: Any] = ["message_id": messageID(in: chatID), "chat": chat, "date": date]
        if let from { m["from"] = from }
        let text = text ?? Self.texts.randomElement(using: &rng)!
        m["text"] = text
        if text.hasPrefix("/") {
            let command = text.split(separator: " ").first!
            m["entities"] = [["type": "bot_command", "offset": 0, "length": command.utf16.count]]
        }
        if replyDepth > 0 {
            // A reply nests another message, possibly quoting a different chat (external reply).
            let otherChat: [String: Any] = Bool.random(using: &rng) ? chat : groupChat()
            let otherUser = user()
            m["reply_to_message"] = message(chat: otherChat, from: otherUser, replyDepth: replyDepth - 1)
        }
        return m
    }

    // MARK: - Updates

    public mutating func takeUpdateID() -> Int64 {
        defer { nextUpdateID += 1 }
        return nextUpdateID
    }

    /// A private-chat text message update, the commonest kind.
    public mutating func textMessageUpdate(chatID: Int64? = nil, text: String? = nil, reply: Bool = false) -> [String: Any] {
        let u = user(id: chatID)
        let m = message(chat: privateChat(for: u), from: u, text: text, replyDepth: reply ? 1 : 0)
        return ["update_id": takeUpdateID(), "message": m]
    }

    /// A callback query from the user of private chat `chatID`, on a message of the bot's.
    public mutating func callbackQueryUpdate(chatID: Int64, data: String) -> [String: Any] {
        let u = user(id: chatID)
        let bot: [String: Any] = ["id": 1, "is_bot": true, "first_name": "Bot", "username": "bot"]
        let m = message(chat: privateChat(for: u), from: bot, text: "pick")
        let id = takeUpdateID()
        let q: [String: Any] = ["id": "cq\(id)", "from": u, "message": m, "chat_instance": "\(chatID)", "data": data]
        return ["update_id": id, "callback_query": q]
    }

    /// An inline query from user `userID`.
    public mutating func inlineQueryUpdate(userID: Int64, query: String) -> [String: Any] {
        let id = takeUpdateID()
        let q: [String: Any] = ["id": "iq\(id)", "from": user(id: userID), "query": query, "offset": ""]
        return ["update_id": id, "inline_query": q]
    }

    /// One update of a random kind, with the mix real bots see (mostly messages).
    public mutating func randomUpdate() -> [String: Any] {
        let id = takeUpdateID()
        let roll = Int.random(in: 0..<100, using: &rng)
        let u = user()
        switch roll {
        case 0..<35:
            return ["update_id": id, "message": message(chat: privateChat(for: u), from: u,
                                                        replyDepth: Int.random(in: 0...2, using: &rng))]
        case 35..<50:
            return ["update_id": id, "message": message(chat: groupChat(), from: u, replyDepth: Int.random(in: 0...1, using: &rng))]
        case 50..<55:
            return ["update_id": id, "edited_message": message(chat: privateChat(for: u), from: u)]
        case 55..<60:
            var post = message(chat: ["id": -Int64.random(in: 1_000_000_000_000...1_000_999_999_999, using: &rng),
                                      "type": "channel", "title": "News"], from: nil)
            post["sender_chat"] = post["chat"]
            return ["update_id": id, "channel_post": post]
        case 60..<70:
            var q: [String: Any] = ["id": "\(Int64.random(in: 1...Int64.max, using: &rng))", "from": u,
                                    "chat_instance": "-\(Int.random(in: 1...999_999_999, using: &rng))",
                                    "data": "action:\(Int.random(in: 0...99, using: &rng))"]
            if Bool.random(using: &rng) {
                q["message"] = message(chat: Bool.random(using: &rng) ? privateChat(for: u) : groupChat(), from: user())
            } else if Bool.random(using: &rng) {
                q["message"] = ["chat": groupChat(), "message_id": 7, "date": 0]
            } else {
                q["inline_message_id"] = "AAAA\(Int.random(in: 0...9999, using: &rng))"
            }
            return ["update_id": id, "callback_query": q]
        case 70..<76:
            return ["update_id": id, "inline_query": ["id": "\(Int64.random(in: 1...Int64.max, using: &rng))",
                                                       "from": u, "query": Self.texts.randomElement(using: &rng)!, "offset": ""]]
        case 76..<79:
            return ["update_id": id, "chosen_inline_result": ["result_id": "r1", "from": u, "query": "q"]]
        case 79..<83:
            return ["update_id": id, "poll": ["id": "\(Int64.random(in: 1...Int64.max, using: &rng))",
                                               "question": "Which?", "options": [["persistent_id": "0", "text": "A", "voter_count": 1],
                                                           ["persistent_id": "1", "text": "B", "voter_count": 0]],
                                               "total_voter_count": 1, "is_closed": false, "is_anonymous": true,
                                               "type": "regular", "allows_multiple_answers": false,
                                               "allows_revoting": false, "members_only": false]]
        case 83..<86:
            return ["update_id": id, "poll_answer": ["poll_id": "1", "user": u, "option_ids": [0], "option_persistent_ids": ["0"]]]
        case 86..<90:
            let chat = groupChat()
            return ["update_id": id, "my_chat_member": [
                "chat": chat, "from": u, "date": date,
                "old_chat_member": ["status": "left", "user": user()],
                "new_chat_member": ["status": "member", "user": user()],
            ]]
        case 90..<93:
            return ["update_id": id, "message_reaction": [
                "chat": groupChat(), "message_id": 5, "user": u, "date": date,
                "old_reaction": [], "new_reaction": [["type": "emoji", "emoji": "👍"]],
            ]]
        case 93..<96:
            return ["update_id": id, "pre_checkout_query": ["id": "pc1", "from": u, "currency": "XTR",
                                                             "total_amount": 100, "invoice_payload": "p"]]
        default:
            return ["update_id": id, "chat_join_request": ["chat": groupChat(), "from": u, "user_chat_id": u["id"]!, "date": date]]
        }
    }

    // MARK: - Serialization

    public static func json(_ object: Any) -> Data {
        try! JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])
    }

    /// A `getUpdates` response holding `updates`.
    public static func getUpdatesResponse(_ updates: [[String: Any]]) -> Data {
        json(["ok": true, "result": updates])
    }
}
