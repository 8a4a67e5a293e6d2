import BotAPI
import DequeModule
import Foundation
import NIOCore

/// Everything the emulator knows, guarded by the emulator's lock: chats, messages, files,
/// pending updates, the webhook, the parked long poll, the transcript and the counters.
struct SimState: Sendable {
    struct ParkedPoll: Sendable {
        var id: UInt64
        var limit: Int
        var promise: EventLoopPromise<APIResult>
        var timeout: Scheduled<Void>?
    }

    struct Webhook: Sendable, Equatable {
        var url: String
        var secret: String?
        var maxConnections: Int
        var allowedUpdates: [String]?
        /// The token that set it: replies in webhook responses run as that bot.
        var token: String
    }

    struct Stats: Sendable {
        var requests = 0
        var byMethod: [String: Int] = [:]
        var byStatus: [Int: Int] = [:]
        var updatesInjected = 0
        var updatesDelivered = 0
        var messagesSent = 0
        var webhookRequests = 0
        var webhookFailures = 0
        var transcriptDropped = 0
        /// TCP connections accepted: tells a client that reuses its connections from one that
        /// opens one per call.
        var connectionsOpened = 0
    }

    var configuration: SimConfiguration
    var updates: UpdateQueue
    var chats: [Int64: ChatRecord] = [:]
    /// Message ids given to injected messages of chats not learnt yet.
    var reservedMessageIDs: [Int64: Int] = [:]
    var users: [Int64: String] = [:]
    var messages: [MessageKey: MessageRecord] = [:]
    /// The messages in the order they were stored, for `messageLimit`.
    var messageOrder = Deque<MessageKey>()
    var files: [String: FileRecord] = [:]
    var filesByPath: [String: String] = [:]
    var callbackQueries: Set<String> = []
    var inlineQueries: Set<String> = []
    var commands: [String: String] = [:]
    var webhook: Webhook?
    var lastWebhookError: (date: Int, message: String)?
    var parked: ParkedPoll?
    var nextPollID: UInt64 = 0
    var flood: FloodLimiter
    var transcript = Deque<String>()
    var stats = Stats()
    var nextFileNumber = 1

    init(configuration: SimConfiguration) {
        self.configuration = configuration
        self.updates = UpdateQueue(firstID: configuration.firstUpdateID)
        self.flood = FloodLimiter(limits: configuration.floodLimits)
    }

    /// Forgets everything but the configuration.
    /// Forgets everything but the configuration and the parked poll; update ids go on from
    /// where they were, so a bot that keeps running does not take the next ones for duplicates.
    mutating func reset() {
        let parked = self.parked
        let nextUpdateID = updates.nextID
        self = SimState(configuration: configuration)
        self.parked = parked
        updates.continue(from: nextUpdateID)
    }

    /// The next message id of `chat` (reserved: a message learnt later does not reuse it).
    mutating func takeMessageID(chat: Int64) -> Int {
        let next = max(chats[chat]?.nextMessageID ?? 1, reservedMessageIDs[chat] ?? 1)
        reservedMessageIDs[chat] = next + 1
        if let i = chats.index(forKey: chat) { chats.values[i].nextMessageID = next + 1 }  // no `?.`: see BrokerState.finish
        return next
    }

    // MARK: - Identity

    /// The bot behind `token`: its id is the token's number, as on Telegram.
    static func botID(token: String) -> Int64 {
        Int64(token.split(separator: ":").first ?? "") ?? 1
    }

    static func botJSON(token: String) -> String {
        #"{"id":\#(botID(token: token)),"is_bot":true,"first_name":"Sim Bot","username":"tgcluster_sim_bot"}"#
    }

    static var now: Int { Int(Date().timeIntervalSince1970) }

    // MARK: - Chats

    func chat(_ id: Int64) throws(APIError) -> ChatRecord {
        guard let chat = chats[id] else { throw .chatNotFound }
        return chat
    }

    /// The chat a send method targets, after Telegram's checks (exists, not blocked) and the
    /// flood limits.
    mutating func sendableChat(_ params: BotParams, name: String = "chat_id") throws(APIError) -> ChatRecord {
        guard let raw = params.string(name), !raw.isEmpty else { throw .badRequest("\(name) is empty") }
        let chat: ChatRecord
        if let id = Int64(raw) {
            chat = try self.chat(id)
        } else if raw.hasPrefix("@"), let found = chats.values.first(where: { $0.username.map { "@" + $0 } == raw }) {
            chat = found
        } else {
            throw .chatNotFound
        }
        if chat.blocked {
            throw chat.type == "private" ? .blocked : APIError(403, "Forbidden: bot was kicked from the \(chat.type) chat")
        }
        if configuration.flood == .telegram,
           let wait = flood.admit(chatID: chat.id, now: Date().timeIntervalSince1970) {
            throw .tooManyRequests(retryAfter: wait)
        }
        return chat
    }

    /// Stores a new message from the bot in `chat` and returns it.
    mutating func postMessage(in chatID: Int64, token: String, _ fill: (inout MessageRecord) -> Void) -> MessageRecord {
        let id = chats[chatID]!.nextMessageID
        chats[chatID]!.nextMessageID += 1
        var record = MessageRecord(chatID: chatID, messageID: id, date: Self.now, fromBot: true,
                                   fromJSON: Self.botJSON(token: token))
        fill(&record)
        store(record)
        stats.messagesSent += 1
        return record
    }

    /// Stores a new message; beyond `messageLimit` the oldest one stored is forgotten.
    mutating func store(_ record: MessageRecord) {
        let key = MessageKey(chat: record.chatID, message: record.messageID)
        if messages.updateValue(record, forKey: key) == nil { messageOrder.append(key) }
        while messageOrder.count > configuration.messageLimit, let oldest = messageOrder.popFirst() {
            messages[oldest] = nil
        }
    }

    func render(_ record: MessageRecord) -> String {
        let chatJSON = chats[record.chatID]?.json ?? #"{"id":\#(record.chatID),"type":"private"}"#
        var reply: String?
        if let r = record.replyToMessageID, let replied = messages[MessageKey(chat: record.chatID, message: r)] {
            reply = replied.json(chatJSON: chatJSON)
        }
        return record.json(chatJSON: chatJSON, replyJSON: reply)
    }

    // MARK: - Transcript

    mutating func record(method: String, params: BotParams, ok: Bool, errorCode: Int?, description: String? = nil, client: String? = nil) {
        var entry = #"{"method":\#(JSONText.quoted(method)),"params":\#(params.transcriptJSON),"time":\#(Date().timeIntervalSince1970),"ok":\#(ok)"#
        if let errorCode { entry += #","error_code":\#(errorCode)"# }
        if let description { entry += #","description":\#(JSONText.quoted(description))"# }
        if let client { entry += #","from":\#(JSONText.quoted(client))"# }
        entry += "}"
        transcript.append(entry)
        if transcript.count > configuration.transcriptLimit {
            transcript.removeFirst()
            stats.transcriptDropped += 1
        }
    }

    /// The `getUpdates` answer for `batch`, broken while `configuration.brokenUpdates` says so.
    mutating func updatesAnswer(_ batch: some Collection<UpdateQueue.Entry>) -> APIResult {
        guard !batch.isEmpty, let broken = configuration.brokenUpdates, broken.count > 0 else {
            return .body(UpdateQueue.response(batch))
        }
        configuration.brokenUpdates = broken.count > 1 ? .init(kind: broken.kind, count: broken.count - 1) : nil
        return .body(UpdateQueue.brokenResponse(batch, broken.kind))
    }
}
