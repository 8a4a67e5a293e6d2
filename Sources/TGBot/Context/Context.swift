import BotAPI
import Foundation
import Logging

/// What a handler gets: the update (raw, with a typed decode on demand), the Bot API client,
/// a logger carrying the update id, and `runAsync` for jobs in the pool.
///
/// In a `.serial` handler (the sequencer) the context is transactional: `state` and
/// `conversation` read and write the store, and `reply`, `send` and `runAsync` do not act at
/// once but add jobs to the outbox, which the worker pool runs after the update commits, in
/// the order emitted. A serial handler may run again before it commits (after a crash), so it
/// should act on the world only through these; `client` calls happen immediately.
public struct Context: Sendable {
    /// The update as Telegram sent it; reading a field costs a walk over the bytes.
    public let raw: RawUpdate
    public let client: BotClient
    /// Labelled with the role; metadata has `update_id`. Labelled when asked for, not per
    /// update: a logger's metadata is a dictionary in storage of its own, and giving every
    /// update's logger its id allocated and freed both (~1.7k instructions a job, `scripts/bench
    /// instructions`) for handlers that mostly never log.
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "update_id"] = .stringConvertible(raw.updateID)
        return logger
    }
    private let baseLogger: Logger
    /// How many times this update has been delivered (more than 1 after a worker died).
    public let attempt: Int
    /// The runtime behind this context: the pool's (at once) or the sequencer's (transactional).
    package let effects: any HandlerEffects
    /// The typed update behind `message`, `from`, `chat`…: decoded once, on first use.
    let decodedUpdate = DecodedUpdate()

    package init(raw: RawUpdate, client: BotClient, logger: Logger, attempt: Int, effects: any HandlerEffects) {
        self.raw = raw
        self.client = client
        baseLogger = logger
        self.attempt = attempt
        self.effects = effects
    }

    /// The JobQueue: schedule, list, cancel, pause and resume stored jobs.
    public var jobQueue: JobQueue { JobQueue(effects: effects) }

    /// Whether this handler runs in the sequencer (transactional) or the pool.
    public var isSerial: Bool { effects.isSerial }

    /// The bot's tables, for serial handlers (throws in a concurrent one).
    public var state: SharedState {
        get throws {
            guard isSerial else { throw ContextError(message: "ctx.state is only for .serial handlers (they run in the sequencer)") }
            return SharedState(effects: effects)
        }
    }

    /// The dialogue state of this chat and user, for serial handlers.
    public var conversation: Conversation {
        get throws {
            guard isSerial else { throw ContextError(message: "ctx.conversation is only for .serial handlers") }
            guard let chat = chatID ?? userID else { throw ContextError(message: "this update has no chat for a conversation") }
            return Conversation(effects: effects, chat: chat, user: userID ?? chat)
        }
    }

    /// The values kept for the user the update came from, across updates and conversations
    /// (python-telegram-bot's `user_data`), for serial handlers. See `StoredValues`.
    public var userData: StoredValues {
        get throws {
            guard isSerial else { throw ContextError(message: "ctx.userData is only for .serial handlers (they run in the sequencer)") }
            guard let user = userID else { throw ContextError(message: "this update has no user for ctx.userData") }
            return try effects.storedValues("u\(user)")
        }
    }

    /// The values kept for the update's chat (python-telegram-bot's `chat_data`), for serial
    /// handlers.
    public var chatData: StoredValues {
        get throws {
            guard isSerial else { throw ContextError(message: "ctx.chatData is only for .serial handlers (they run in the sequencer)") }
            guard let chat = chatID else { throw ContextError(message: "this update has no chat for ctx.chatData") }
            return try effects.storedValues("c\(chat)")
        }
    }

    public var updateID: Int64 { raw.updateID }
    /// The user the update came from (`from.id` of its message, query, ...).
    public var userID: Int64? { raw.userID }
    public var chatID: Int64? { raw.chatID }
    /// The message text, for message updates.
    public var text: String? { raw.text }

    /// The whole update, decoded once per context (tens of microseconds the first time).
    public func update() throws -> Update { try decodedUpdate.update(raw) }

    /// The words after a command (`/transaction 10 42` → `["10", "42"]`).
    public var arguments: [String] {
        guard let text, text.hasPrefix("/") else { return [] }
        return text.split(separator: " ").dropFirst().map(String.init)
    }

    /// Sends `text` to the chat the update came from. The sent message is decoded only if its
    /// `message()` is asked for: most handlers never look at it, and a full decode costs more
    /// than the rest of an echo.
    ///
    /// In a serial handler the message is sent after the update commits (its `response` is
    /// then empty).
    @discardableResult
    public func reply(_ text: String, replyMarkup: ReplyMarkup? = nil) async throws -> SentMessage {
        guard let chat = chatID ?? raw.routingKey?.id else { throw ContextError(message: "this update has no chat to reply to") }
        if let replyMarkup { return try await reply(text, chat: chat, replyMarkup: replyMarkup) }
        // Written into one array sized once, then one `Data` (the echo path: a string built and
        // copied was seven allocations per reply, counted; appends to a `Data` ~900
        // instructions each, `scripts/bench instructions`).
        var json: [UInt8] = []
        json.reserveCapacity(text.utf8.count + 48)
        json += #"{"chat_id":"#.utf8
        json += String(chat).utf8
        json += #","text":"#.utf8
        JSONFields.appendQuoted(text, to: &json)
        json.append(UInt8(ascii: "}"))
        return try await send(methodName: "sendMessage", json: Data(json))
    }

    /// A reply with a keyboard, through the typed method. Not inlined into `reply`: an async
    /// function's frame holds what any of its paths keeps across an await (`SendMessage`'s many
    /// fields here), and Swift's task allocator takes frames in ~1 KiB slabs, each a malloc
    /// beyond the first (issue 13: ten per echo job before).
    @inline(never)
    private func reply(_ text: String, chat: Int64, replyMarkup: ReplyMarkup) async throws -> SentMessage {
        try await send(BotMethods.SendMessage(chatID: .id(chat), text: text, replyMarkup: replyMarkup))
    }

    /// Sends `text` with an inline keyboard (`InlineKeyboard().button(…).adjust(…)`).
    @discardableResult
    public func reply(_ text: String, keyboard: InlineKeyboard) async throws -> SentMessage {
        try await reply(text, replyMarkup: try keyboard.markup())
    }

    /// Sends `text` with a reply keyboard, or `.remove` to take the user's away.
    @discardableResult
    public func reply(_ text: String, keyboard: ReplyKeyboard) async throws -> SentMessage {
        try await reply(text, replyMarkup: try keyboard.markup())
    }

    /// Calls a Bot API method: at once in a concurrent handler, after the commit (in the
    /// outbox, in order with this chat's other jobs) in a serial one. Deferred calls carry JSON
    /// parameters only (no uploads).
    @discardableResult
    public func send<M: BotMethod>(_ method: M) async throws -> SentMessage {
        if isSerial {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return try await send(methodName: M.name, json: encoder.encode(method))
        }
        return SentMessage(response: try await client.send(method).body)
    }

    /// `send` with parameters written by the caller as JSON.
    @discardableResult
    public func send(methodName: String, json: Data) async throws -> SentMessage {
        SentMessage(response: try await effects.call(method: methodName, json: json))
    }

    /// Runs the bot's job `name` in the worker pool; await the promise's value when needed.
    /// While a handler waits on it, its slot is lent to the pool, so nested jobs of any depth
    /// cannot deadlock a bounded pool.
    ///
    /// From a serial handler the job goes into the outbox and runs after the commit, after this
    /// chat's earlier jobs; its promise cannot be awaited inside the same handler (it has not
    /// run yet), and the job gets an idempotency key (`JobContext.key`) that stays the same if
    /// it is delivered twice.
    public func runAsync<Input: Encodable>(_ name: String, _ input: Input) throws -> JobPromise {
        try effects.runAsync(name, input: JSONEncoder().encode(input))
    }

    /// How a job a serial handler emitted earlier (by its `JobPromise.key`) stands: nil if no
    /// such job, `.pending` until it finished, then its output. For serial handlers: the read
    /// is part of the update's transaction, so replays see the same answer.
    public func outboxJob(_ key: String) throws -> OutboxJobState? {
        guard isSerial else { throw ContextError(message: "ctx.outboxJob is only for .serial handlers") }
        guard key.hasPrefix("outbox-"), let id = Int64(key.dropFirst("outbox-".count)) else { return nil }
        return try effects.outboxJob(id: id)
    }
}
