import BotAPI
import ClusterRuntime
import Foundation
import GRDB
import Logging
import Sim
import Locking
import Synchronization
import TGBot
import Wire

/// Runs a bot's handlers in the test process, with no cluster: feed an update, get the Bot API
/// calls it made. For the unit tests of a bot; `withCluster` is for the whole cluster.
///
/// The update goes where the broker would send it (`Bot.route`). A concurrent handler runs as
/// a worker runs it; a serial handler runs in a group commit against a real SQLite store (in a
/// temporary directory, with the bot's migrations), and its outbox is carried out after the
/// commit, as in the cluster. `runAsync` jobs and JobQueue changes run inline; the Bot API is an
/// emulator on a loopback port in this process, so `ctx.client` calls are recorded too.
///
/// ```swift
/// try await withBotTester(makeBot()) { tester in
///     let calls = try await tester.send("/start", chat: 42)
///     #expect(calls.first?.text == "Hi!")
/// }
/// ```
///
/// One update at a time: await each `send`/`feed` before the next.
public final class BotTester: Sendable {
    /// The emulator the bot talks to (inject other updates, read its state).
    public let sim: SimHarness
    public let bot: Bot
    private let directory: URL
    private let store: StateStore
    private let groups: GroupCommit
    private let pool: InlinePool
    private let seen = Mutex(0)
    private let nextJobID = Mutex<UInt64>(1)

    /// A handler (or a job, a timer, a deferred call) failed; the calls made before are kept.
    public struct HandlerFailure: Error, CustomStringConvertible {
        public var errors: [String]
        public var calls: [BotCall]
        public var description: String { "handler failed: \(errors.joined(separator: "; "))" }
    }

    private init(sim: SimHarness, bot: Bot, directory: URL, store: StateStore, groups: GroupCommit, pool: InlinePool) {
        self.sim = sim
        self.bot = bot
        self.directory = directory
        self.store = store
        self.groups = groups
        self.pool = pool
    }

    /// Starts the emulator, opens a fresh store and runs the bot's `atStart` hooks.
    /// `logger` gets what the handlers and the runtime log (nothing, by default).
    public static func start(_ bot: Bot, logger: Logger = Logger(label: "tgcluster.tester") { _ in SwiftLogNoOpLogHandler() },
                             configureSim: (inout SimConfiguration) -> Void = { _ in }) async throws -> BotTester {
        let sim = try await SimHarness.start(configure: configureSim)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tgcluster-tester-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("state.sqlite").path
            let store = try StateStore(path: path, migrations: bot.migrations)
            let client = sim.client()
            // One table for both, as on a host: a user's limit counts serial and concurrent updates.
            let rates = RateTable()
            let groups = try GroupCommit(bot: bot, store: store, client: client, logger: logger, watchdog: nil, rates: rates)
            let pool = InlinePool(bot: bot, client: client, logger: logger, groups: groups, databases: SharedDatabase(path: path), rates: rates)
            let tester = BotTester(sim: sim, bot: bot, directory: directory, store: store, groups: groups, pool: pool)
            try await tester.carryOut(try await groups.runStartUpHooks())
            return tester
        } catch {
            try? FileManager.default.removeItem(at: directory)
            try? await sim.shutdown()
            throw error
        }
    }

    /// Closes the store, removes its directory and stops the emulator.
    public func shutdown() async {
        pool.databases.close()
        try? store.close()
        try? FileManager.default.removeItem(at: directory)
        try? await sim.shutdown()
    }

    // MARK: - Feeding updates

    /// A private text message (a command if it starts with `/`) from user `chat` to the bot;
    /// the calls its handler made.
    @discardableResult
    public func send(_ text: String, chat: Int64 = 1) async throws -> [BotCall] {
        var factory = UpdateFactory(seed: UInt64(bitPattern: chat))
        factory.date = Int(Date().timeIntervalSince1970)
        var update = factory.textMessageUpdate(chatID: chat, text: text)
        update["update_id"] = nil
        return try await feed([update])
    }

    /// A private message from user `chat` carrying `content` instead of text (`["location":
    /// ["latitude": 1.5, "longitude": 2]]`, a sticker…); the calls its handler made.
    @discardableResult
    public func send(content: [String: Any], chat: Int64 = 1) async throws -> [BotCall] {
        var factory = UpdateFactory(seed: UInt64(bitPattern: chat))
        factory.date = Int(Date().timeIntervalSince1970)
        var update = factory.textMessageUpdate(chatID: chat, text: "")
        update["update_id"] = nil
        if var message = update["message"] as? [String: Any] {
            message["text"] = nil
            message.merge(content) { $1 }
            update["message"] = message
        }
        return try await feed([update])
    }

    /// A photo (`data`, kept by the emulator so the bot can download it) from user `chat`.
    @discardableResult
    public func sendPhoto(_ data: Data, chat: Int64 = 1) async throws -> [BotCall] {
        let (id, unique) = sim.emulator.userFile(data)
        let size: [String: Any] = ["file_id": id, "file_unique_id": unique, "width": 640, "height": 480, "file_size": data.count]
        return try await send(content: ["photo": [size]], chat: chat)
    }

    /// A button press with `data` under a message the bot sent to chat `chat`.
    @discardableResult
    public func press(_ data: String, chat: Int64 = 1) async throws -> [BotCall] {
        var factory = UpdateFactory(seed: UInt64(bitPattern: chat) &+ 1)
        factory.date = Int(Date().timeIntervalSince1970)
        var update = factory.callbackQueryUpdate(chatID: chat, data: data)
        update["update_id"] = nil
        return try await feed([update])
    }

    /// A press of a button whose data is a typed value (`CallbackData`).
    @discardableResult
    public func press(_ data: some CallbackData, chat: Int64 = 1) async throws -> [BotCall] {
        try await press(try data.packed(), chat: chat)
    }

    /// An inline query `query` typed by user `user`.
    @discardableResult
    public func inlineQuery(_ query: String, user: Int64 = 1) async throws -> [BotCall] {
        var factory = UpdateFactory(seed: UInt64(bitPattern: user) &+ 2)
        var update = factory.inlineQueryUpdate(userID: user, query: query)
        update["update_id"] = nil
        return try await feed([update])
    }

    /// Updates as Telegram sends them (an `update_id` is assigned where missing), each run to
    /// the end, serial ones committed and their outbox carried out; the calls they made.
    /// Throws `HandlerFailure` if a handler failed (after the bot's error handler ran).
    @discardableResult
    public func feed(_ updates: [[String: Any]]) async throws -> [BotCall] {
        let body = try JSONSerialization.data(withJSONObject: ["updates": updates])
        do { _ = try sim.emulator.inject(body) } catch { throw HandlerFailure(errors: ["not an update: \(error)"], calls: []) }
        var errors: [String] = []
        for bytes in sim.emulator.takeUpdates() {
            errors += try await run(bytes)
        }
        return try finish(errors)
    }

    /// Fires the JobQueue's entries that are due now (their timers run); the calls they made.
    @discardableResult
    public func fireDueTimers() async throws -> [BotCall] {
        let result = try await groups.commit([], finished: [], fireTimers: true)
        return try finish(try await carryOut(result.emissions))
    }

    /// Reads the bot's store (its own tables, as a serial handler sees them after its commit).
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try store.access(body)
    }

    /// Every call the bot made since the tester started, oldest first.
    public func calls() -> [BotCall] {
        Self.calls(in: sim.emulator.transcript())
    }

    // MARK: - Running

    /// Runs one update where the broker would send it; the errors of its handlers.
    private func run(_ bytes: Data) async throws -> [String] {
        let envelope = UpdateEnvelope(try UpdateScanner.scanUpdate(bytes), in: bytes)
        guard let route = bot.route(envelope.raw, kind: envelope.kind) else { return [] }
        let job = Job(id: takeJobID(), attempt: 1, payload: .update(handler: route.handler, envelope))
        var serialJob = job
        if !route.serial {
            let (outcome, output) = await pool.runner.run(job)
            guard outcome == .ok else { return [String(decoding: output, as: UTF8.self)] }
            // A two-step handler's result goes on to the sequencer, as the broker sends it.
            guard route.applies, !output.isEmpty else { return [] }
            serialJob = Job(id: takeJobID(), attempt: 1, payload: .apply(handler: route.handler, envelope, result: output))
        }
        let result = try await groups.commit([serialJob], finished: [], fireTimers: false)
        for call in result.sentAtOnce { await call.value }
        let failed = result.dones.filter { $0.outcome != .ok }.map { String(decoding: $0.output, as: UTF8.self) }
        return failed + (try await carryOut(result.emissions))
    }

    /// What the cluster does after a commit: each outbox row run once, in order, then marked
    /// finished in the store. The errors of the rows that failed.
    @discardableResult
    private func carryOut(_ emissions: [Emission]) async throws -> [String] {
        guard !emissions.isEmpty else { return [] }
        var finished: [(UInt64, Outcome, Data)] = []
        var errors: [String] = []
        for e in emissions {
            let (outcome, output) = await pool.runner.run(Job(id: takeJobID(), attempt: 1, payload: .outbox(id: e.outboxID, e.action)))
            finished.append((e.outboxID, outcome, output))
            if outcome != .ok { errors.append(String(decoding: output, as: UTF8.self)) }
        }
        _ = try await groups.commit([], finished: finished, fireTimers: false)
        return errors
    }

    private func takeJobID() -> UInt64 {
        nextJobID.locked { id in
            defer { id += 1 }
            return id
        }
    }

    /// The calls made since the last time, or the failure that carries them.
    private func finish(_ errors: [String]) throws -> [BotCall] {
        let all = calls()
        let new = seen.locked { n -> [BotCall] in
            defer { n = all.count }
            return Array(all.dropFirst(n))
        }
        if !errors.isEmpty { throw HandlerFailure(errors: errors, calls: new) }
        return new
    }

    static func calls(in transcript: Data) -> [BotCall] {
        let object = (try? JSONSerialization.jsonObject(with: transcript)) as? [String: Any]
        return (object?["calls"] as? [[String: Any]] ?? []).compactMap(BotCall.init(transcriptEntry:))
    }
}

/// Runs `body` with a `BotTester` for `bot` (see `BotTester.start`) and shuts it down on every
/// path.
public func withBotTester<T>(_ bot: Bot, logger: Logger = Logger(label: "tgcluster.tester") { _ in SwiftLogNoOpLogHandler() },
                             configureSim: (inout SimConfiguration) -> Void = { _ in },
                             _ body: (BotTester) async throws -> T) async throws -> T {
    let tester = try await BotTester.start(bot, logger: logger, configureSim: configureSim)
    do {
        let result = try await body(tester)
        await tester.shutdown()
        return result
    } catch {
        await tester.shutdown()
        throw error
    }
}
