import Foundation

/// The chat a message-sending call is charged to under Telegram's flood limits.
///
/// Telegram limits *messages*: about one a second in a chat, twenty a minute in a group
/// (see `FloodLimiting`). So only methods that post a message count: `send*` except
/// `sendChatAction` and `sendMessageDraft`, and `forwardMessage(s)`, `copyMessage(s)`; edits,
/// answers and reads do not.
///
/// The chat is read from the body the client is about to send, so every path (typed methods,
/// the replies' hand-written JSON, multipart uploads) is charged alike.
public struct FloodTarget: Sendable, Hashable {
    /// The chat id; a `@username` target is hashed to a stable negative id (such chats are
    /// channels or public groups).
    public var chatID: Int64

    public init(chatID: Int64) { self.chatID = chatID }

    /// Whether the target is a group or channel (negative ids), which Telegram limits per minute.
    public var isGroup: Bool { chatID < 0 }

    /// Whether `method` posts a message (and so counts against the flood limits).
    public static func counts(_ method: String) -> Bool {
        if method.hasPrefix("send") { return method != "sendChatAction" && method != "sendMessageDraft" }
        switch method {
        case "forwardMessage", "forwardMessages", "copyMessage", "copyMessages": return true
        default: return false
        }
    }

    /// The target of a call of `method` with `body`; nil when the method does not count or the
    /// body names no chat.
    public static func of(method: String, body: HTTPRequest.Body) -> FloodTarget? {
        guard counts(method) else { return nil }
        switch body {
        case .none:
            return nil
        case .bytes(let data, let type):
            guard type.hasPrefix("application/json") else { return nil }
            return fromJSON(data)
        case .multipart(let fields):
            guard let field = fields.first(where: { $0.name == "chat_id" && $0.filename == nil }) else { return nil }
            return fromText(String(decoding: field.data, as: UTF8.self))
        }
    }

    /// `chat_id` among the top-level members of a JSON object, without decoding the rest.
    static func fromJSON(_ data: Data) -> FloodTarget? {
        data.withUnsafeBytes { raw -> FloodTarget? in
            var s = JSONScanner(raw)
            do throws(JSONScanError) {
                try s.beginObject()
                var first = true
                while let key = try s.nextKey(first: &first) {
                    guard s.key(key, is: "chat_id") else {
                        try s.skipValue()
                        continue
                    }
                    if try s.peek() == UInt8(ascii: "\"") { return fromText(try s.readString()) }
                    return FloodTarget(chatID: try s.readInt64())
                }
            } catch {
                return nil
            }
            return nil
        }
    }

    /// A chat id as text: a number, or `@username`.
    static func fromText(_ text: String) -> FloodTarget? {
        if let id = Int64(text) { return FloodTarget(chatID: id) }
        guard text.hasPrefix("@"), text.count > 1 else { return nil }
        // FNV-1a over the lower-cased name: stable across processes (Hasher is seeded per process).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.lowercased().utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return FloodTarget(chatID: -Int64(hash >> 2) - 1)
    }
}

/// Paces message-sending calls so they stay within Telegram's flood limits.
///
/// `BotClient` asks before every attempt of a call that posts a message and reports each 429.
/// An implementation may be shared by many processes (the cluster's `FloodGate` is a table in
/// shared memory), which is what makes the limits hold for the bot as a whole rather than per
/// process.
public protocol FloodLimiting: Sendable {
    /// Returns when a message to `target` may go out (at once, or after a wait).
    func admit(_ target: FloodTarget) async throws
    /// Telegram answered 429 with `retryAfter` for `target`: nothing more to it before then.
    func penalize(_ target: FloodTarget, retryAfter: Duration)
}
