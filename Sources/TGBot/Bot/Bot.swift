import BotAPI
import Foundation
import GRDB
import Locking
import Synchronization

/// A bot: its handlers, its named jobs and its error handler. Build it once at start-up (every
/// process of the cluster runs the same binary and builds the same `Bot`), then hand it to
/// `Cluster.main`.
///
/// ```swift
/// let bot = Bot()
/// bot.onCommand("start") { ctx in try await ctx.reply("Hi!") }
/// bot.onText { ctx in try await ctx.reply(ctx.text ?? "") }          // concurrent, in the pool
/// bot.onCommand("balance", .serial) { ctx in /* … */ }            // one at a time, in order
/// bot.onError { error, ctx in ctx?.logger.error("\(error)") }
/// await Cluster.main(bot)
/// ```
///
/// Handlers are tried in the order they were added; the first that matches an update gets it.
public final class Bot: HandlerRegistry {
    /// Where a handler runs.
    public enum Mode: Sendable {
        /// In the worker pool, many at once (the guide's `run_async`).
        case concurrent
        /// In the sequencer, one at a time, in `update_id` order (shared state).
        case serial
    }

    public typealias Handler = @Sendable (Context) async throws -> Void
    /// A two-step handler's second step: the context (serial) and the first step's result (JSON).
    package typealias ApplyStep = @Sendable (Context, Data) async throws -> Void
    /// Code around a handler: gets the context and the rest of the chain (`next`).
    public typealias Middleware = @Sendable (Context, _ next: Handler) async throws -> Void
    public typealias ErrorHandler = @Sendable (any Error, Context?) async -> Void
    public typealias JobBody = @Sendable (Data, JobContext) async throws -> Data
    public typealias TimerBody = @Sendable (Data, TimerContext) async throws -> Void
    public typealias StartUp = @Sendable (JobQueue) async throws -> Void
    /// A conversation's deadline passed: its timeout handler, with the update that last moved it.
    package typealias ConversationTimeout = @Sendable (Context, DialogueRecord) async throws -> Void

    package struct Registration: Sendable {
        /// What the handler matches, in words (`command /start`): part of the fingerprint.
        package var label: String
        package var kinds: Set<UpdateKind> { didSet { kindList = Array(kinds) } }
        /// `kinds` as a list, for the broker's routing: a handler names a few kinds at most, and
        /// comparing them costs less than hashing the update's kind into the set (a `String`
        /// through SipHash, per handler tried, per update).
        private(set) var kindList: [UpdateKind]
        /// The filter's test alone: `route` checks `kinds` first.
        package var matches: @Sendable (RawUpdate) -> Bool
        package var mode: Mode
        package var ordered: Bool
        package var handler: Handler
        /// A two-step handler's second step (see `HandlerRegistry.on(_:prepare:apply:)`).
        package var apply: ApplyStep?

        package init(label: String, kinds: Set<UpdateKind>, matches: @escaping @Sendable (RawUpdate) -> Bool, mode: Mode, ordered: Bool,
                     handler: @escaping Handler, apply: ApplyStep?) {
            self.label = label
            self.kinds = kinds
            kindList = Array(kinds)
            self.matches = matches
            self.mode = mode
            self.ordered = ordered
            self.handler = handler
            self.apply = apply
        }

        /// Whether updates of `kind` may match (no kinds named: every kind may).
        @inline(__always)
        func accepts(_ kind: UpdateKind) -> Bool {
            kindList.isEmpty || kindList.contains(kind)
        }
    }

    /// Where an update goes: the index of its handler, which process kind, and whether it keeps
    /// its chat's order.
    package struct Route: Sendable, Equatable {
        package var handler: UInt16
        package var serial: Bool
        package var ordered: Bool
        /// A two-step handler: its first step's result goes on to the sequencer.
        package var applies: Bool = false
    }

    /// The most a two-step handler's first step may hand to its second (JSON bytes): it
    /// travels through the broker's memory, so big data (an image) stays out of it.
    public static let maxPreparedBytes = 1 << 20

    /// One step of the bot's schema (GRDB's migrator runs them in order, once each).
    public struct Migration: Sendable {
        public var identifier: String
        public var body: @Sendable (Database) throws -> Void
    }

    private struct Table: Sendable {
        var migrations: [Migration] = []
        var handlers: [Registration] = []
        var jobs: [String: JobBody] = [:]
        var timers: [String: TimerBody] = [:]
        var startUp: [StartUp] = []
        var conversations: [String: ConversationTimeout] = [:]
        var middlewares: [Middleware] = []
        var errorHandler: ErrorHandler?
        var workerThreads = WorkerThreads.pool
    }

    private let table = Mutex(Table())

    public init() {}

    /// Which thread of a worker runs the concurrent handlers (`.pool` unless set; see
    /// `WorkerThreads`). Set it before the bot runs.
    public var workerThreads: WorkerThreads {
        get { table.locked { $0.workerThreads } }
        set { table.locked { $0.workerThreads = newValue } }
    }

    // MARK: - Handlers

    /// Adds a handler (`HandlerRegistry`: the shortcuts `on`, `onCommand`, `onText`,
    /// `onCallback`… all come here).
    public func add(_ entry: HandlerEntry) {
        register(entry)
    }

    /// Adds a handler; answers its index in the table (the broker routes by it).
    @discardableResult
    package func register(_ entry: HandlerEntry) -> Int {
        let filter = entry.filter
        let registration = Registration(label: filter.label, kinds: filter.kinds, matches: filter.test, mode: entry.mode,
                                        ordered: entry.ordered, handler: entry.handler, apply: entry.apply)
        return table.locked { t in
            t.handlers.append(registration)
            return t.handlers.count - 1
        }
    }

    /// A router's handlers, here in the table, in their order (see `Router`).
    public func include(_ router: Router) {
        for entry in router.flattened() { register(entry) }
    }

    /// Wraps every handler of the bot (and of the routers it includes) in `middleware`: the
    /// first added runs outermost, then the next, then a router's own, then the handler. A
    /// middleware that does not call `next` stops the update there (access control).
    ///
    /// ```swift
    /// bot.use { ctx, next in
    ///     let start = ContinuousClock.now
    ///     try await next(ctx)
    ///     ctx.logger.info("handled", metadata: ["took": "\(ContinuousClock.now - start)"])
    /// }
    /// ```
    public func use(_ middleware: @escaping Middleware) {
        table.locked { $0.middlewares.append(middleware) }
    }

    /// Runs handler `index` inside the bot's middlewares (the roles call this, not the bare
    /// handler). For a two-step handler, answers what its first step left to apply (nil: a
    /// one-step handler, or a middleware stopped the update).
    @discardableResult
    package func invoke(handler index: Int, _ ctx: Context) async throws -> Data? {
        let (handler, middlewares, applies) = table.locked { ($0.handlers[index].handler, $0.middlewares, $0.handlers[index].apply != nil) }
        let chain = Middlewares.wrap(handler, in: middlewares)
        guard applies else {
            try await chain(ctx)
            return nil
        }
        let box = PreparedResult()
        try await PreparedResult.$current.withValue(box) { try await chain(ctx) }
        return box.data
    }

    /// The second step of two-step handler `index` (in the sequencer), outside the middlewares:
    /// they ran around the first.
    package func invokeApply(handler index: Int, _ ctx: Context, result: Data) async throws {
        guard let apply = table.locked({ $0.handlers[index].apply }) else {
            throw ContextError(message: "handler \(index) has no second step")
        }
        try await apply(ctx, result)
    }

    /// A declared conversation, in its place in the table: it runs in the sequencer and takes
    /// the updates its states want; the rest go on to the handlers after it.
    public func add<State>(_ conversation: ConversationHandler<State>) {
        let filter = conversation.freeze()
        let nested = conversation.descendants
        let index = table.locked { t in
            precondition(t.conversations[conversation.name] == nil, "two conversations named \(conversation.name)")
            t.conversations[conversation.name] = conversation.expire
            // Nested conversations keep rows of their own, whose deadlines the sequencer watches.
            for child in nested {
                precondition(t.conversations[child.name] == nil, "two conversations named \(child.name)")
                t.conversations[child.name] = child.expire
            }
            return t.handlers.count
        }
        let registered = register(HandlerEntry(filter: filter, mode: .serial, ordered: true) { [weak self] ctx in
            try await conversation.dispatch(ctx) { ctx in try await self?.passOn(ctx, after: index) }
        })
        precondition(registered == index, "handlers added from two threads at once")
    }

    /// An update a serial handler (a conversation) did not want goes to the next handler that
    /// matches: run here, in the same transaction, when it is serial; after the commit, in the
    /// chat's order, when it is concurrent.
    private func passOn(_ ctx: Context, after index: Int) async throws {
        guard let next = route(ctx.raw, kind: ctx.raw.kind, after: index) else {
            ctx.logger.debug("no handler wants this update")
            return
        }
        if next.applies {
            throw ContextError(message: "a conversation passed this update on to a two-step handler (handler \(next.handler)), "
                               + "which cannot start from the sequencer: add it before the conversation")
        } else if next.serial {
            try await handlers[Int(next.handler)].handler(ctx)
        } else {
            try ctx.effects.handOff(handler: next.handler, update: ctx.raw.bytes)
        }
    }

    /// Called with every error a handler or job throws, for each dead-lettered update
    /// (`DeadLetterError`), and for each call of a serial handler that failed after its commit
    /// (`DeferredCallError`: which call, which update's handler made it, to which chat, why; no
    /// context, the handler has returned).
    public func onError(_ handler: @escaping ErrorHandler) {
        table.locked { $0.errorHandler = handler }
    }

    // MARK: - State

    /// A versioned step of the schema of the bot's tables in the sequencer's store, run once,
    /// in the order declared, when the sequencer starts (GRDB's `DatabaseMigrator`).
    ///
    /// ```swift
    /// bot.migration("v1") { db in
    ///     try db.create(table: "account") { t in t.primaryKey("user", .integer); t.column("balance", .integer).notNull() }
    /// }
    /// ```
    public func migration(_ identifier: String, _ body: @escaping @Sendable (Database) throws -> Void) {
        precondition(!identifier.hasPrefix("tgcluster."), "migration names starting with tgcluster. are reserved")
        table.locked { $0.migrations.append(Migration(identifier: identifier, body: body)) }
    }

    package var migrations: [Migration] { table.locked { $0.migrations } }

    // MARK: - Named jobs (runAsync)

    /// A job the worker pool runs by name, with bytes in and out.
    public func job(_ name: String, _ body: @escaping JobBody) {
        table.locked { $0.jobs[name] = body }
    }

    /// A job with `Codable` input and output (JSON on the wire).
    public func job<Input: Codable & Sendable, Output: Codable & Sendable>(
        _ name: String, _ body: @escaping @Sendable (Input, JobContext) async throws -> Output
    ) {
        job(name) { data, ctx in
            let input = try JSONDecoder().decode(Input.self, from: data)
            return try JSONEncoder().encode(try await body(input, ctx))
        }
    }

    // MARK: - Scheduled jobs (the JobQueue)

    /// A callback for scheduled jobs (`ctx.jobs.runOnce("beep", ...)`), run in the worker pool
    /// when a job comes due, with the job's payload (JSON on the wire).
    public func timer<Payload: Decodable & Sendable>(_ name: String, _ body: @escaping @Sendable (Payload, TimerContext) async throws -> Void) {
        table.locked {
            $0.timers[name] = { data, ctx in try await body(try JSONDecoder().decode(Payload.self, from: data), ctx) }
        }
    }

    /// Runs in the sequencer each time it starts, in a transaction: schedule the bot's standing
    /// jobs here. A job added here with a name that an active job of the same callback already
    /// has is kept, not added again, so restarts do not multiply it.
    public func atStart(_ body: @escaping StartUp) {
        table.locked { $0.startUp.append(body) }
    }

    // MARK: - Used by the roles

    package func timerBody(_ name: String) -> TimerBody? { table.locked { $0.timers[name] } }
    package func conversationTimeout(_ name: String) -> ConversationTimeout? { table.locked { $0.conversations[name] } }
    package var startUpHooks: [StartUp] { table.locked { $0.startUp } }

    package var handlers: [Registration] { table.locked { $0.handlers } }
    package var handlerCount: Int { table.locked { $0.handlers.count } }
    package var errorHandler: ErrorHandler? { table.locked { $0.errorHandler } }

    package func jobBody(_ name: String) -> JobBody? { table.locked { $0.jobs[name] } }

    /// The broker's routing: the first handler that matches an update of `kind`.
    package func route(_ raw: RawUpdate, kind: UpdateKind, after start: Int = -1) -> Route? {
        let handlers = self.handlers
        // One walk to the text for all the text filters below (a table of commands, then text).
        let raw = kind.carriesMessage ? raw.locatingText() : raw
        for i in (start + 1)..<max(start + 1, handlers.count) {
            if handlers[i].accepts(kind) && handlers[i].matches(raw) {
                let h = handlers[i]
                return Route(handler: UInt16(i), serial: h.mode == .serial, ordered: h.ordered, applies: h.apply != nil)
            }
        }
        return nil
    }

    /// A hash (FNV-1a, 64 bits) of the bot's tables: its handlers in order (what each matches,
    /// its mode and ordering), its job and timer names and its migrations. The broker routes by
    /// handler index, so every process of a cluster must have the same tables; READY carries
    /// this and the broker refuses a peer whose value differs. Closures cannot be hashed: two
    /// builds whose handlers differ only in their bodies look alike (deploy whole clusters).
    public var fingerprint: UInt64 {
        table.locked { t in
            var lines = ["tgcluster handler table v1"]
            for (i, h) in t.handlers.enumerated() {
                lines.append("handler \(i) \(h.label) kinds=\(h.kinds.map(\.rawValue).sorted().joined(separator: ",")) "
                             + "mode=\(h.mode == .serial ? "serial" : "concurrent") ordered=\(h.ordered)" + (h.apply != nil ? " then=apply" : ""))
            }
            lines += t.jobs.keys.sorted().map { "job \($0)" }
            lines += t.timers.keys.sorted().map { "timer \($0)" }
            lines += t.migrations.map { "migration \($0.identifier)" }
            return FNV1a.hash(lines.joined(separator: "\n").utf8)
        }
    }

    /// This executable's name, as peers name themselves in READY.
    package static var programName: String {
        URL(fileURLWithPath: CommandLine.arguments.first ?? "bot").lastPathComponent
    }

    /// The update kinds the handlers want (for `allowed_updates`); empty = Telegram's default.
    package var allowedUpdates: [String] {
        let handlers = self.handlers
        if handlers.contains(where: { $0.kinds.isEmpty }) { return [] }
        return Set(handlers.flatMap { $0.kinds.map(\.rawValue) }).sorted()
    }
}

