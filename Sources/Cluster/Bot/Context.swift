import BotAPI
import Foundation
import GRDB
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
    /// Labelled with the role; metadata has `update_id`.
    public let logger: Logger
    /// How many times this update has been delivered (more than 1 after a worker died).
    public let attempt: Int
    let jobs: JobRunner
    /// Set for a serial handler: its share of the sequencer's transaction.
    let session: SerialSession?
    let databases: SharedDatabase?

    init(raw: RawUpdate, client: BotClient, logger: Logger, attempt: Int, jobs: JobRunner, session: SerialSession? = nil,
         databases: SharedDatabase? = nil) {
        self.raw = raw
        self.client = client
        self.logger = logger
        self.attempt = attempt
        self.jobs = jobs
        self.session = session
        self.databases = databases
    }

    /// The JobQueue: schedule, list, cancel, pause and resume stored jobs.
    public var jobQueue: JobQueue {
        if let session { return JobQueue(backend: .store(session, keepExisting: false)) }
        return JobQueue(backend: .remote(jobs, databases))
    }

    /// Whether this handler runs in the sequencer (transactional) or the pool.
    public var isSerial: Bool { session != nil }

    /// The bot's tables, for serial handlers (throws in a concurrent one).
    public var state: State {
        get throws {
            guard let session else { throw ContextError(message: "ctx.state is only for .serial handlers (they run in the sequencer)") }
            return State(session: session)
        }
    }

    /// The dialogue state of this chat and user, for serial handlers.
    public var conversation: Conversation {
        get throws {
            guard let session else { throw ContextError(message: "ctx.conversation is only for .serial handlers") }
            return Conversation(session: session)
        }
    }

    public var updateID: Int64 { raw.updateID }
    /// The user the update came from (`from.id` of its message, query, ...).
    public var userID: Int64? { raw.userID }
    public var chatID: Int64? { raw.chatID }
    /// The message text, for message updates.
    public var text: String? { raw.text }

    /// The whole update, decoded (tens of microseconds: do it once, keep the value).
    public func update() throws -> Update { try raw.decode() }

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
        if session != nil {
            if let replyMarkup {
                return try await send(BotMethods.SendMessage(chatID: .id(chat), text: text, replyMarkup: replyMarkup))
            }
            return try await send(methodName: "sendMessage", json: Data(#"{"chat_id":\#(chat),"text":\#(JSONFields.quoted(text))}"#.utf8))
        }
        if let replyMarkup {
            let response = try await client.send(BotMethods.SendMessage(chatID: .id(chat), text: text, replyMarkup: replyMarkup))
            return SentMessage(response: response.body)
        }
        let body = #"{"chat_id":\#(chat),"text":\#(JSONFields.quoted(text))}"#
        return SentMessage(response: try await client.send(methodName: "sendMessage", json: Data(body.utf8)).body)
    }

    /// Calls a Bot API method: at once in a concurrent handler, after the commit (in the
    /// outbox, in order with this chat's other jobs) in a serial one. Deferred calls carry JSON
    /// parameters only (no uploads).
    @discardableResult
    public func send<M: BotMethod>(_ method: M) async throws -> SentMessage {
        if session != nil {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return try await send(methodName: M.name, json: encoder.encode(method))
        }
        return SentMessage(response: try await client.send(method).body)
    }

    /// `send` with parameters written by the caller as JSON.
    @discardableResult
    public func send(methodName: String, json: Data) async throws -> SentMessage {
        if let session {
            try session.emit(DeferredCall.jobName, input: DeferredCall.input(method: methodName, json: json), key: session.key)
            return SentMessage(response: Data())
        }
        return SentMessage(response: try await client.send(methodName: methodName, json: json).body)
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
        let data = try JSONEncoder().encode(input)
        if let session {
            let id = try session.emit(name, input: data, key: session.key)
            return JobPromise(task: Task { throw JobError(job: name, reason: "emitted by a serial handler: it runs after this update commits, so it cannot be awaited here; read it later with ctx.outboxJob(promise.key)") },
                              runner: jobs, key: "outbox-\(id)")
        }
        return try jobs.submit(name, input: data)
    }

    /// How a job a serial handler emitted earlier (by its `JobPromise.key`) stands: nil if no
    /// such job, `.pending` until it finished, then its output. For serial handlers: the read
    /// is part of the update's transaction, so replays see the same answer.
    public func outboxJob(_ key: String) throws -> OutboxJobState? {
        guard let session else { throw ContextError(message: "ctx.outboxJob is only for .serial handlers") }
        guard key.hasPrefix("outbox-"), let id = Int64(key.dropFirst("outbox-".count)) else { return nil }
        guard let row = try session.store.access({ db in
            try Row.fetchOne(db, sql: "SELECT status, output FROM tgcluster_outbox WHERE id = ?", arguments: [id])
        }) else { return nil }
        let status: String = row["status"]
        let output: Data = row["output"] ?? Data()
        switch status {
        case "pending": return .pending
        case "ok": return .finished(output)
        default: return .failed(String(decoding: output, as: UTF8.self))
        }
    }
}

/// Where an outbox job stands, for a later serial handler (`Context.outboxJob`).
public enum OutboxJobState: Sendable, Equatable {
    case pending
    case finished(Data)
    case failed(String)
}

/// The answer to a send: the `Message` Telegram returned, decoded on demand.
public struct SentMessage: Sendable {
    /// The raw `{"ok":true,"result":{...}}` body.
    public let response: Data

    public func message() throws -> Message {
        struct Envelope: Decodable { var result: Message }
        return try JSONDecoder().decode(Envelope.self, from: response).result
    }
}

/// The context of a named job: like a handler's, without an update.
public struct JobContext: Sendable {
    public let client: BotClient
    public let logger: Logger
    /// For a job from a serial handler's outbox, a key that is the same on every delivery of
    /// this job (`outbox-<n>`): write idempotently under it (delivery is at-least-once).
    public let key: String?
    let jobs: JobRunner
    let databases: SharedDatabase?

    init(client: BotClient, logger: Logger, key: String? = nil, jobs: JobRunner, databases: SharedDatabase? = nil) {
        self.client = client
        self.logger = logger
        self.key = key
        self.jobs = jobs
        self.databases = databases
    }

    /// The sequencer's store, opened by this worker process for writes that commute (appends
    /// keyed by `key`, such as a log). Shared state that must change in order belongs in
    /// serial handlers.
    public var database: DatabaseQueue {
        get throws {
            guard let databases else { throw ContextError(message: "no data dir configured") }
            return try databases.queue()
        }
    }

    public func runAsync<Input: Encodable>(_ name: String, _ input: Input) throws -> JobPromise {
        try jobs.submit(name, input: JSONEncoder().encode(input))
    }

    /// The JobQueue (changes go to the sequencer).
    public var jobQueue: JobQueue { JobQueue(backend: .remote(jobs, databases)) }
}

/// What a timer callback gets when its scheduled job comes due: the job, the Bot API client,
/// the JobQueue (to schedule or cancel more), and `reply` to the job's chat.
public struct TimerContext: Sendable {
    public let client: BotClient
    public let logger: Logger
    public let scheduleID: Int64
    public let name: String
    public let chatID: Int64?
    public let userID: Int64?
    /// When this run was due (`Date()` minus this is the lateness).
    public let scheduledFor: Date
    /// The same on every delivery of this run (at-least-once): write idempotently under it.
    public let key: String
    let jobs: JobRunner
    let databases: SharedDatabase?

    public var jobQueue: JobQueue { JobQueue(backend: .remote(jobs, databases)) }

    /// Sends `text` to the job's chat.
    @discardableResult
    public func reply(_ text: String) async throws -> SentMessage {
        guard let chatID else { throw ContextError(message: "job \(name) has no chat to reply to") }
        let body = #"{"chat_id":\#(chatID),"text":\#(JSONFields.quoted(text))}"#
        return SentMessage(response: try await client.send(methodName: "sendMessage", json: Data(body.utf8)).body)
    }
}

public struct ContextError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
