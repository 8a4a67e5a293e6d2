import BotAPI
import Bus
import Wire
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Locking
import Synchronization
import TGBot

/// The sequencer process: runs serial handlers one at a time, in the order the broker hands
/// them out (`update_id` order), against the SQLite store, and commits them in groups.
///
/// A group is whatever arrived while the previous one was committing (up to `maxGroup`),
/// committed in one transaction by `GroupCommit` (a savepoint per update, its applied row, its
/// outbox rows; one fsync for all). Only after the commit are the updates acknowledged (DONE) and the new outbox rows sent
/// (EMIT). So a crash at any instant leaves each update either applied with all its jobs
/// recorded, or not at all; an update found applied is acknowledged without running again;
/// and outbox rows not yet reported finished are sent again after any restart, in order.
final class SequencerService: Sendable {
    private struct Inbox: Sendable {
        var jobs: [Job] = []
        var finished: [(UInt64, Outcome, Data)] = []
        /// Send every pending outbox row again (at start, and when the broker restarted).
        var resend = true
        var busy = false
        /// A scheduled job is due: fire what is due in the next group.
        var timerDue = false
    }

    /// The one timer of the JobQueue: armed for the earliest next run, whatever the number of
    /// jobs (no polling, no timer per job).
    private struct Alarm: Sendable {
        var due: Date?
        var task: Task<Void, Never>?
    }
    private let alarm = Mutex(Alarm())

    static let maxGroup = 512

    private let bot: Bot
    private let configuration: ClusterConfiguration
    private let client: BotClient
    private let logger: Logger
    private let link: PeerLink
    private let store: StateStore
    private let inbox = Mutex(Inbox())
    private let watchdog: HangWatchdog
    private let wake: AsyncStream<Void>
    private let wakeUp: AsyncStream<Void>.Continuation
    private let groups: GroupCommit
    private let recorder: PeerMetricsRecorder

    init(bot: Bot, configuration: ClusterConfiguration, client: BotClient, context: ZMQContext, logger: Logger) throws {
        self.bot = bot
        self.configuration = configuration
        self.client = client
        self.logger = logger
        store = try StateStore(path: configuration.file("state.sqlite").path, migrations: bot.migrations)
        (wake, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let ready = Ready(capacity: UInt32(Self.maxGroup), role: .sequencer, fingerprint: bot.fingerprint, program: Bot.programName,
                          pid: UInt32(getpid()), host: configuration.host)
        do {
            link = try PeerLink(ready: ready, endpoint: configuration.workersSocket,
                                security: try LinkSecurity.client(for: configuration.workersSocket, configuration, logger: logger),
                                configuration: .init(heartbeat: configuration.heartbeat, liveness: configuration.liveness),
                                context: context, logger: logger)
        } catch {
            try? store.close()
            throw error
        }
        recorder = PeerMetricsRecorder(client: client, handlerLabels: bot.handlers.map(\.label))
        watchdog = HangWatchdog(deadline: configuration.jobDeadline, interval: min(configuration.heartbeat, .milliseconds(250))) { _, job in
            logger.error("a serial handler ran past its deadline; exiting so that the update is retried",
                         metadata: ["what": "\(job.what)", "deadline": "\(configuration.jobDeadline)"])
            exit(RoleError.hung)
        }
        do {
            groups = try GroupCommit(bot: bot, store: store, client: client, logger: logger, watchdog: watchdog, recorder: recorder,
                                     rates: configuration.openRateTable(logger: logger))
        } catch {
            watchdog.stop()
            link.close()
            try? store.close()
            throw error
        }
    }

    private func send(_ frame: Frame) {
        link.send(frame)
    }

    /// Runs until `stop` completes, then finishes the group in progress and what it was sent.
    func run(until stop: @escaping @Sendable () async -> Void) async {
        link.start(onFrame: { [self] frame in received(frame) }, onBrokerForgot: { [self] in
            // The broker restarted and lost what it held of the outbox: send the pending rows again.
            inbox.locked { $0.resend = true }
            wakeUp.yield()
        })
        logger.info("ready", metadata: ["store": "\(configuration.file("state.sqlite").path)", "broker": "\(configuration.workersSocket)"])
        let reporting = Task { [link, recorder] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                link.send(recorder.report())
            }
        }
        defer { reporting.cancel() }
        let processor = Task { await process() }
        await runStartUpHooks()
        wakeUp.yield()
        await stop()
        link.drain()
        let deadline = ContinuousClock.now + configuration.drainDeadline
        // Until the broker has let go too: a serial job it sent just before it read the
        // DISCONNECT is on its way (its answer comes after).
        while ContinuousClock.now < deadline, inbox.locked({ $0.busy || !$0.jobs.isEmpty }) || !link.released() {
            try? await Task.sleep(for: .milliseconds(20))
        }
        wakeUp.finish()
        await processor.value
        alarm.locked { $0.task?.cancel() }
        watchdog.stop()
        link.close()
        do { try store.close() } catch { logger.error("closing the store failed", metadata: ["error": "\(error)"]) }
    }

    /// A frame for the sequencer itself (the session handled the rest): queued for the processor.
    private func received(_ frame: Frame) {
        switch frame {
        case .job(let job):
            inbox.locked { $0.jobs.append(job) }
        case .emitted(let id, let outcome, let output):
            inbox.locked { $0.finished.append((id, outcome, output)) }
        default:
            logger.debug("ignored a frame the sequencer does not take", metadata: ["frame": "\(frame)"])
            return
        }
        wakeUp.yield()
    }

    /// The one task that touches the store: takes what has arrived, commits it as a group.
    private func process() async {
        for await _ in wake {
            while true {
                let (jobs, finished, resend, timerDue) = inbox.locked { s -> ([Job], [(UInt64, Outcome, Data)], Bool, Bool) in
                    let n = min(s.jobs.count, Self.maxGroup)
                    let taken = Array(s.jobs.prefix(n))
                    s.jobs.removeFirst(n)
                    defer { s.finished.removeAll(); s.resend = false; s.timerDue = false }
                    s.busy = !taken.isEmpty || !s.finished.isEmpty || s.resend || s.timerDue
                    return (taken, s.finished, s.resend, s.timerDue)
                }
                if jobs.isEmpty && finished.isEmpty && !resend && !timerDue { break }
                if resend { sendPendingOutbox() }
                if !jobs.isEmpty || !finished.isEmpty || timerDue { await commitGroup(jobs, finished: finished, fireTimers: timerDue) }
                inbox.locked { $0.busy = false }
            }
        }
    }

    /// Every outbox row not yet reported finished, in emission order.
    private func sendPendingOutbox() {
        do {
            let rows = try store.access { db in try OutboxStore.pending(db) }
            for e in rows { send(.emit(e)) }
            if !rows.isEmpty { logger.info("outbox sent again", metadata: ["jobs": "\(rows.count)"]) }
        } catch {
            logger.error("reading the outbox failed", metadata: ["error": "\(error)"])
        }
    }

    private func commitGroup(_ jobs: [Job], finished: [(UInt64, Outcome, Data)], fireTimers: Bool = false) async {
        let result: GroupCommit.Result
        let started = ContinuousClock.now
        do {
            result = try await groups.commit(jobs, finished: finished, fireTimers: fireTimers)
            if !jobs.isEmpty { recorder.committed(size: jobs.count, in: .now - started) }
        } catch {
            // Nothing of the group is acknowledged: the broker hands it out again when this
            // process is replaced. A store that cannot commit (full disk, I/O error) must not
            // look alive, so the process exits and the supervisor restarts it with backoff.
            logger.critical("the group could not be committed; exiting", metadata: ["error": "\(error)", "updates": "\(jobs.count)"])
            exit(RoleError.storeFailure)
        }
        // EMITs first: the broker puts a two-step update's replies before its chat's next
        // update, which DONE lets go.
        for e in result.emissions { send(.emit(e)) }
        for done in result.dones { send(.done(jobID: done.jobID, outcome: done.outcome, output: done.output)) }
        armAlarm()
    }

    /// Sets the one timer for the earliest next run of the JobQueue or conversation deadline
    /// (cheap: two indexed MINs), replacing the armed one only when that changed.
    private func armAlarm() {
        let due: Date?
        do {
            due = try store.access { db in
                [try ScheduleStore.nextDue(db), try DialogueStore.nextDeadline(db)].compactMap { $0 }.min()
            }
        } catch {
            logger.error("reading the schedule failed", metadata: ["error": "\(error)"])
            return
        }
        alarm.locked { a in
            guard a.due != due || a.task == nil else { return }
            a.task?.cancel()
            a.due = due
            guard let due else {
                a.task = nil
                return
            }
            a.task = Task { [weak self] in
                let wait = due.timeIntervalSinceNow
                if wait > 0 {
                    do { try await Task.sleep(for: .microseconds(Int64(wait * 1_000_000)), tolerance: .microseconds(100)) } catch { return }
                }
                guard let self else { return }
                // Fired: the next armAlarm sets a new one whatever the earliest run is then
                // (an early wake-up that finds nothing due must not leave the timer unset).
                self.alarm.locked { $0.due = nil; $0.task = nil }
                self.inbox.locked { $0.timerDue = true }
                self.wakeUp.yield()
            }
        }
    }

    /// The bot's `atStart` hooks, in one transaction, before any update.
    private func runStartUpHooks() async {
        do {
            for e in try await groups.runStartUpHooks() { send(.emit(e)) }
        } catch {
            logger.critical("a start-up hook failed", metadata: ["error": "\(error)"])
            exit(RoleError.bootFailure)
        }
        armAlarm()
    }
}

extension SequencerService: Service {
    /// Runs until the process's service group shuts down gracefully (SIGTERM, SIGINT).
    func run() async {
        await run(until: { try? await gracefulShutdown() })
    }
}
