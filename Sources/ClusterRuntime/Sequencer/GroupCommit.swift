import BotAPI
import Foundation
import GRDB
import Logging
import Locking
import Synchronization
import TGBot
import Wire

/// The sequencer's work, without sockets: a group of jobs in, one transaction, the
/// acknowledgements and the new outbox rows out. `SequencerService` sends what it returns;
/// `TGClusterTesting`'s `BotTester` runs serial handlers through the same code.
///
/// One `BEGIN IMMEDIATE`; the outbox rows reported finished are marked; due JobQueue entries
/// fire; then per update a savepoint around its handler, the row that records it as applied
/// (an update found applied is acknowledged without running again) and the outbox rows of the
/// jobs it emitted; one `COMMIT` (one fsync) for all. An error out of `commit` means nothing of
/// the group holds: the caller must not acknowledge any of it.
package final class GroupCommit: Sendable {
    /// What a committed group answers: DONE per job, EMIT per new outbox row (in order).
    package struct Result: Sendable {
        package var dones: [(jobID: UInt64, outcome: Outcome, output: Data)] = []
        package var emissions: [Emission] = []
        /// The calls the group's handlers sent at once, unawaited (buttons' answers): the
        /// sequencer lets them run; the tester waits for them.
        package var sentAtOnce: [Task<Void, Never>] = []
    }

    private let bot: Bot
    private let store: StateStore
    private let client: BotClient
    private let logger: Logger
    private let watchdog: HangWatchdog?
    private let recorder: PeerMetricsRecorder?
    /// The number of the next group (recorded with each applied update).
    private let nextGroup: Mutex<Int64>
    /// The calls sent at once by the handlers of the group being committed.
    private let sentAtOnce = Mutex<[Task<Void, Never>]>([])
    /// The host's rate table, for the rate-limit middlewares of serial handlers.
    private let rates: RateTable
    /// When a commit last pruned the store's own tables (`StorePruner`); nil: not since start.
    private let lastPruned = Mutex<Date?>(nil)

    package init(bot: Bot, store: StateStore, client: BotClient, logger: Logger, watchdog: HangWatchdog?,
                 recorder: PeerMetricsRecorder? = nil, rates: RateTable = RateTable()) throws {
        self.rates = rates
        self.recorder = recorder
        self.bot = bot
        self.store = store
        self.client = client
        self.logger = logger
        self.watchdog = watchdog
        let last = try store.access { db in try AppliedStore.lastGroup(db) }
        nextGroup = Mutex(last + 1)
    }

    /// Commits one group: `finished` outbox rows, the JobQueue's due entries (when
    /// `fireTimers`), and `jobs` (serial updates and JobQueue changes) in order.
    package func commit(_ jobs: [Job], finished: [(UInt64, Outcome, Data)], fireTimers: Bool) async throws -> Result {
        var result = Result()
        let group = nextGroup.locked { g -> Int64 in
            defer { g += 1 }
            return g
        }
        do {
            try store.access { db in try db.beginTransaction(.immediate) }
            if !finished.isEmpty {
                try store.access { db in try OutboxStore.finish(db, finished.map { (id: $0.0, outcome: $0.1, output: $0.2) }, now: Date()) }
            }
            if fireTimers {
                result.emissions += try fireDueTimers()
                result.emissions += try await expireConversations()
            }
            for job in jobs {
                let (outcome, output, emitted) = try await run(job, group: group)
                result.dones.append((job.id, outcome, output))
                result.emissions += emitted
            }
            try pruneIfDue()
            try store.access { db in try db.commit() }
        } catch {
            try? store.access { db in if db.isInsideTransaction { try db.rollback() } }
            sentAtOnce.locked { $0 = [] }
            throw error
        }
        result.sentAtOnce = sentAtOnce.locked { calls in
            defer { calls = [] }
            return calls
        }
        return result
    }

    /// Every `StorePruner.interval`, the store's own rows past their retention go, in the
    /// group's transaction (bounded per table, so a commit stays short).
    private func pruneIfDue() throws {
        let now = Date()
        guard lastPruned.locked({ last in last.map { now.timeIntervalSince($0) >= StorePruner.interval } ?? true }) else { return }
        let pruned = try store.access { db in try StorePruner.prune(db, now: now) }
        lastPruned.locked { $0 = now }
        if pruned.total > 0 {
            logger.info("pruned the store's old rows", metadata: ["applied": "\(pruned.applied)", "outbox": "\(pruned.outbox)",
                                                                 "firings": "\(pruned.firings)", "schedules": "\(pruned.schedules)"])
        }
    }

    /// The bot's `atStart` hooks, in one transaction, before any update: their outbox rows.
    package func runStartUpHooks() async throws -> [Emission] {
        let hooks = bot.startUpHooks
        guard !hooks.isEmpty else { return [] }
        let session = SerialSession(store: store, updateID: 0, key: nil, chatID: nil, userID: nil, rates: rates)
        do {
            try store.access { db in try db.beginTransaction(.immediate) }
            for hook in hooks { try await hook(JobQueue(effects: SerialEffects(session: session, keepExisting: true))) }
            try store.access { db in try db.commit() }
        } catch {
            try? store.access { db in if db.isInsideTransaction { try db.rollback() } }
            throw error
        }
        return session.emissions
    }

    /// The JobQueue's entries due now, as outbox rows.
    private func fireDueTimers() throws -> [Emission] {
        var emissions: [Emission] = []
        let fired = try store.access { db in
            // A millisecond of slack: the timer may wake a hair before the due time.
            try ScheduleStore.fireDue(db, now: Date().addingTimeInterval(0.001)) { action, key in
                let e = try OutboxStore.insert(db, updateID: nil, action: action, key: key)
                emissions.append(e)
                return e.outboxID
            }
        }
        if fired > 0 { logger.debug("scheduled jobs fired", metadata: ["count": "\(fired)"]) }
        return emissions
    }

    /// Conversations whose deadline passed: each row removed, and its timeout handler run in a
    /// savepoint with the context of the update that last moved it (an error rolls back the
    /// handler's writes, not the removal, so a failing handler does not come back forever).
    private func expireConversations() async throws -> [Emission] {
        let expired = try store.access { db in try DialogueStore.takeExpired(db, now: Date().addingTimeInterval(0.001)) }
        var emissions: [Emission] = []
        for (name, _, record) in expired {
            guard let body = bot.conversationTimeout(name), let raw = try? RawUpdate(bytes: record.lastUpdate) else { continue }
            var logger = self.logger
            logger[metadataKey: "conversation"] = "\(name)"
            logger[metadataKey: "update_id"] = "\(raw.updateID)"
            emissions += try await runSerial(raw, logger: logger, attempt: 1, failure: "a conversation's timeout handler failed") { ctx in
                try await body(ctx, record)
            }.emissions
        }
        return emissions
    }

    /// One job of the group: a JobQueue change (applied once, by its token) or a serial update
    /// (run once, by its id).
    private func run(_ job: Job, group: Int64) async throws -> (Outcome, Data, [Emission]) {
        if case .schedule(let input) = job.payload {
            do {
                let request = try JSONDecoder().decode(ScheduleRequest.self, from: input)
                let ids = try store.access { db in try ScheduleStore.apply(request, db, now: Date()) }
                return (.ok, try JSONEncoder().encode(ids), [])
            } catch {
                return (.failed, Data("\(error)".utf8), [])
            }
        }
        let (index, envelope, result): (UInt16, UpdateEnvelope, Data?)
        switch job.payload {
        case .update(let i, let e): (index, envelope, result) = (i, e, nil)
        case .apply(let i, let e, let r): (index, envelope, result) = (i, e, r)
        default: return (.failed, Data("the sequencer runs serial handlers only".utf8), [])
        }
        let digest = AppliedStore.digest(envelope.bytes)
        let verdict = try store.access { db in try AppliedStore.verdict(db, updateID: envelope.updateID, digest: digest, now: Date()) }
        if verdict != .new {
            if verdict == .appliedWithOtherBytes {
                logger.warning("an update id seen today came again with other bytes; treated as the same update",
                               metadata: ["update_id": "\(envelope.updateID)"])
            }
            logger.debug("already applied", metadata: ["update_id": "\(envelope.updateID)"])
            return (.ok, Data(), [])
        }
        let started = ContinuousClock.now
        let (outcome, error, emitted) = try await apply(handler: Int(index), envelope, result: result, attempt: Int(job.attempt))
        recorder?.ran(handler: Int(index), for: .now - started)
        try store.access { db in
            try AppliedStore.record(db, updateID: envelope.updateID, digest: digest, failed: outcome == .ok ? nil : (error ?? ""),
                                    now: Date(), group: group)
        }
        return (outcome, Data((error ?? "").utf8), emitted)
    }

    /// Runs one serial handler (or a two-step handler's second step, with its first step's
    /// `result`) inside a savepoint; an error rolls back its writes (the update is still
    /// recorded as applied, with the error, and the error handler's own deferred calls are kept).
    private func apply(handler index: Int, _ envelope: UpdateEnvelope, result: Data?, attempt: Int) async throws -> (Outcome, String?, [Emission]) {
        var logger = self.logger
        logger[metadataKey: "update_id"] = "\(envelope.updateID)"
        guard index < bot.handlerCount else { return (.failed, "no handler \(index)", []) }
        watchdog?.started(update: envelope.updateID)
        defer { watchdog?.finished(UInt64(bitPattern: envelope.updateID)) }
        let (error, emissions) = try await runSerial(envelope.raw, logger: logger, attempt: attempt, failure: "serial handler failed") { ctx in
            if let result {
                try await bot.invokeApply(handler: index, ctx, result: result)
            } else {
                try await bot.invoke(handler: index, ctx)
            }
        }
        return (error == nil ? .ok : .failed, error.map { "\($0)" }, emissions)
    }

    /// Runs `body` with a serial context for `raw` inside a savepoint: released when it
    /// returns; rolled back when it throws (its writes and outbox rows gone), then the bot's
    /// error handler runs with a fresh context whose deferred calls are kept. The error, and
    /// the outbox rows that stand.
    private func runSerial(_ raw: RawUpdate, logger: Logger, attempt: Int, failure: String,
                           _ body: (Context) async throws -> Void) async throws -> (error: (any Error)?, emissions: [Emission]) {
        func context() -> (SerialSession, Context) {
            let session = SerialSession(store: store, updateID: raw.updateID, key: raw.routingKey, chatID: raw.chatID, userID: raw.userID,
                                        rates: rates, sentAtOnce: { [self] call in self.sentAtOnce.locked { $0.append(call) } })
            return (session, Context(raw: raw, client: client, logger: logger, attempt: attempt, effects: SerialEffects(session: session)))
        }
        let (session, ctx) = context()
        try store.access { db in try db.execute(sql: "SAVEPOINT tgcluster_update") }
        do {
            try await body(ctx)
            try session.flushValues()
            try store.access { db in try db.execute(sql: "RELEASE tgcluster_update") }
            return (nil, session.emissions)
        } catch {
            try store.access { db in
                try db.execute(sql: "ROLLBACK TO tgcluster_update")
                try db.execute(sql: "RELEASE tgcluster_update")
            }
            logger.error("\(failure); its writes are rolled back", metadata: ["error": "\(error)"])
            let (reporting, reportingContext) = context()
            await bot.errorHandler?(error, reportingContext)
            return (error, reporting.emissions)
        }
    }
}
