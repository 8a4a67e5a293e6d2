import BotAPI
import Bus
import Wire
import Foundation
import Logging
import ServiceLifecycle
import Locking
import Synchronization
import TGBot

/// A worker: takes jobs from the broker, runs them as Swift tasks (on Swift's pool, or on the
/// link's bus thread: `Bot.WorkerThreads`), acknowledges each when its handler has finished.
///
/// The protocol's peer side (READY, READY again, drain, refusal) is `PeerSession` behind
/// `PeerLink`. A handler running past the deadline makes the process exit (`HangWatchdog`): a
/// task cannot be killed, and the broker hands its jobs to another worker.
final class WorkerService: JobPool {
    /// `runAsync` and JobQueue requests waiting for their RESULT.
    private struct Waiting: Sendable {
        var results: [UInt64: CheckedContinuation<Data, any Error>] = [:]
        var nextTaskID: UInt64 = 1
    }

    private let bot: Bot
    private let configuration: ClusterConfiguration
    private let capacity: Int
    private let client: BotClient
    private let logger: Logger
    private let link: PeerLink
    private let state = Mutex(Waiting())
    /// What a new broker is told after READY (HANDOVER).
    private let ledger = Mutex(WorkerLedger())
    private let databases: SharedDatabase
    private let rates: RateTable
    /// On a worker host with flood limits: this host's table, whose chat budgets travel with jobs.
    private let floodTable: FloodGate?
    private let watchdog: HangWatchdog
    /// Jobs received and not yet finished, and whether the worker still takes jobs, under one
    /// lock. Counted from their receipt on the bus thread: a drain that counted only the jobs
    /// whose task had started left with jobs received and not yet started, and their replies
    /// went out twice (the scaling test, when task starts lagged). Closed in the same step as
    /// the drain's last count: a job that comes after it is refused (the broker gives it to
    /// another worker), never started by a process that is leaving.
    private struct Intake {
        var running = 0
        var closed = false
    }
    private let intake = Mutex(Intake())
    private var jobsHere: Int { intake.locked { $0.running } }
    private let recorder: PeerMetricsRecorder
    /// The handlers' labels, for the metrics (the table is fixed once the bot runs).
    private let handlerLabels: [String]
    /// Jobs run on the link's bus thread (`Bot.WorkerThreads.eventLoop`), not on Swift's pool.
    private let onLoop: Bool

    init(bot: Bot, configuration: ClusterConfiguration, capacity: Int, client: BotClient,
         context: ZMQContext, logger: Logger) throws {
        self.bot = bot
        self.configuration = configuration
        self.capacity = capacity
        self.client = client
        self.logger = logger
        databases = SharedDatabase(path: configuration.file("state.sqlite").path, onThisHost: configuration.connectEndpoint == nil)
        rates = configuration.openRateTable(logger: logger)
        floodTable = configuration.connectEndpoint == nil ? nil : client.configuration.limiter as? FloodGate
        handlerLabels = bot.handlers.map(\.label)
        recorder = PeerMetricsRecorder(client: client, handlerLabels: handlerLabels)
        onLoop = bot.workerThreads == .eventLoop
        watchdog = HangWatchdog(deadline: configuration.jobDeadline, interval: min(configuration.heartbeat, .milliseconds(250))) { id, job in
            logger.error("a handler ran past its deadline; exiting so that its work is retried elsewhere",
                         metadata: ["job": "\(id)", "what": "\(job.what)", "deadline": "\(configuration.jobDeadline)"])
            exit(RoleError.hung)
        }
        let ready = Ready(capacity: UInt32(capacity), role: .worker, fingerprint: bot.fingerprint, program: Bot.programName,
                          pid: UInt32(getpid()), host: configuration.host)
        link = try PeerLink(ready: ready, endpoint: configuration.brokerEndpoint,
                            security: try LinkSecurity.client(for: configuration.brokerEndpoint, configuration, logger: logger),
                            configuration: .init(heartbeat: configuration.heartbeat, liveness: configuration.liveness),
                            context: context, logger: logger)
    }

    /// On a worker host, a broker silent for the liveness interval has given this worker's jobs
    /// to others; the worker must not finish them too when the link comes back. A local worker
    /// is killed by its supervisor when the broker says so; a remote one fences itself: it
    /// exits, and its host's supervisor starts a fresh one, which says READY and takes new work.
    private func brokerSilent() {
        guard configuration.connectEndpoint != nil, jobsHere > 0 else { return }
        logger.error("the broker is unreachable and has given this worker's jobs to others; exiting to not run them twice",
                     metadata: ["jobs": "\(jobsHere)", "broker": "\(configuration.brokerEndpoint)"])
        exit(RoleError.lostBroker)
    }

    /// After READY to a broker that forgot this worker (most often a new broker): what runs
    /// here and what finished lately, so that it runs none of it again.
    private func handOver() {
        guard let handover = ledger.locked({ $0.handover }) else { return }
        send(.handover(handover))
    }

    /// `--max-worker-memory`, four times a second, on a thread of its own (as the hang
    /// watchdog: handlers that keep Swift's pool busy must not keep the limit from being
    /// checked): past it, stop taking work and leave once what runs is done (or the drain
    /// deadline passed); past twice it, leave now (see `MemoryLimit`).
    private func watchMemory(_ limit: MemoryLimit) {
        var recyclingUntil: ContinuousClock.Instant?
        while true {
            Thread.sleep(forTimeInterval: 0.25)
            guard let resident = MemoryLimit.residentBytes() else { continue }
            let metadata: Logger.Metadata = ["resident_mb": "\(resident >> 20)", "limit_mb": "\(limit.bytes >> 20)", "jobs": "\(jobsHere)"]
            switch limit.verdict(resident: resident) {
            case .exitNow:
                logger.error("a worker far past --max-worker-memory; exiting now (its jobs go elsewhere)", metadata: metadata)
                exit(RoleError.recycled)
            case .recycle where recyclingUntil == nil:
                logger.warning("a worker past --max-worker-memory; recycling it once its jobs finish", metadata: metadata)
                link.drain()
                recyclingUntil = .now + configuration.drainDeadline
            case .recycle, .fine:
                break
            }
            if let until = recyclingUntil, stopTakingJobs(by: until) { exit(RoleError.recycled) }
        }
    }

    /// What this process's handlers and jobs do through their contexts.
    private var effects: PoolEffects { PoolEffects(client: client, pool: self, databases: databases, rates: rates) }

    private func send(_ frame: Frame) {
        link.send(frame)
    }

    /// Runs until `stop` completes, then drains: DISCONNECT, finish what is in flight.
    func run(until stop: @escaping @Sendable () async -> Void) async {
        // `Bot.WorkerThreads.eventLoop`: the handlers run on the link's bus thread, and so does
        // the client's plain-HTTP loop (an http:// IP address), so that a reply's answer is read
        // where its handler goes on. It goes back to its own thread when the link's loop stops.
        if onLoop, let lease = client.lendPlainHTTPLoop() { link.host(PlainHTTPGuest(lease)) }
        link.start(onFrame: { [self] frame in received(frame) }, onBrokerForgot: { [self] in handOver() },
                   onBrokerSilent: { [self] in brokerSilent() })
        let reporting = Task { [link, recorder] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                link.send(recorder.report())
            }
        }
        if let limit = configuration.maxWorkerMemory {
            Thread.named("tgc.memory") { [self] in watchMemory(limit) }.start()
        }
        defer { reporting.cancel() }
        logger.info("ready", metadata: ["capacity": "\(capacity)", "broker": "\(configuration.brokerEndpoint)"])
        await stop()
        link.drain()
        let deadline = ContinuousClock.now + configuration.drainDeadline
        while !stopTakingJobs(by: deadline) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        watchdog.stop()
        link.close()
        databases.close()
    }

    /// After `link.drain()`: true, and no job taken from then on, once nothing runs here and
    /// the broker has let go (a job it sent just before it read the DISCONNECT has arrived),
    /// or once `deadline` passed.
    private func stopTakingJobs(by deadline: ContinuousClock.Instant) -> Bool {
        let now = ContinuousClock.now
        let released = link.released(now: now)
        return intake.locked { i in
            guard (i.running == 0 && released) || now >= deadline else { return false }
            i.closed = true
            return true
        }
    }

    /// A frame for the worker itself (the session handled the rest).
    private func received(_ frame: Frame) {
        switch frame {
        case .job(let job):
            let taken = intake.locked { i in
                if !i.closed { i.running += 1 }
                return !i.closed
            }
            guard taken else {
                logger.notice("a job came after this worker stopped taking work; the broker gives it to another",
                              metadata: ["job": "\(job.id)"])
                return
            }
            if onLoop {
                // Started here, on the bus thread that read the JOB, up to its first suspension
                // (its request written): no trip through the loop's job queue (worker 0.97×
                // instructions per update against `Task(executorPreference:)`).
                Task.immediate(executorPreference: link.executor) { await self.execute(job) }
            } else {
                Task { await self.execute(job) }
            }
        case .flood(let budget):
            // Before the job it goes with: the chat's sends here wait for what was sent elsewhere.
            floodTable?.absorb(budget)
        case .result(let taskID, let outcome, let output):
            let waiter = state.locked { $0.results.removeValue(forKey: taskID) }
            if outcome == .ok {
                waiter?.resume(returning: output)
            } else {
                waiter?.resume(throwing: JobError(job: "#\(taskID)", reason: String(decoding: output, as: UTF8.self)))
            }
        default:
            logger.debug("ignored a frame a worker does not take", metadata: ["frame": "\(frame)"])
        }
    }

    private func execute(_ job: Job) async {
        let started = ContinuousClock.now
        // What is needed after the handler, read before it: a `Job` read again after the await
        // was copied each time (its payload's references retained and released: four copies
        // a job, ~900 instructions, `scripts/bench instructions`). The watchdog's is the one
        // kept: it describes the job should it hang.
        let id = job.id
        // A handler's job is recorded by its index; another by its label.
        let handler = JobRunner.handlerIndex(job)
        let label = handler == nil ? JobRunner.label(job, handlerLabels: handlerLabels) : ""
        let chat = floodTable == nil ? nil : job.updateChatID
        let updateID = job.updateID
        watchdog.started(job, at: started)
        ledger.locked { $0.started(id, updateID: updateID) }
        let runner = JobRunner(bot: bot, client: client, logger: logger, effects: effects)
        let (outcome, output) = await runner.run(job)
        if let handler { recorder.ran(handler: handler, for: .now - started) } else { recorder.ran(label, for: .now - started) }
        if let floodTable, let chat, let budget = floodTable.budget(chatID: chat) {
            send(.flood(budget))
        }
        finish(id, outcome, output)
        intake.locked { $0.running -= 1 }
    }

    private func finish(_ id: UInt64, _ outcome: Outcome, _ output: Data) {
        watchdog.finished(id)
        // An update job's output is a two-step handler's result: the update goes on to the
        // sequencer, it is not finished (a new broker must not complete it on this account).
        ledger.locked { $0.finished(id, passedOn: outcome == .ok && !output.isEmpty) }
        send(.done(jobID: id, outcome: outcome, output: output))
    }

    // MARK: - Jobs and JobQueue changes on behalf of handlers (PoolEffects)

    package func submit(name: String, input: Data) async throws -> Data {
        try await request { .submit(taskID: $0, name: name, input: input) }
    }

    package func schedule(change: Data) async throws -> Data {
        try await request { .schedule(taskID: $0, change: change) }
    }

    /// Sends the frame `make` builds with a new task id; returns the RESULT's output.
    private func request(_ make: (UInt64) -> Frame) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            let id = state.locked { s -> UInt64 in
                let id = s.nextTaskID
                s.nextTaskID += 1
                s.results[id] = continuation
                return id
            }
            send(make(id))
        }
    }

    package func lend() { send(.lend) }
    package func reclaim() { send(.reclaim) }
}

extension WorkerService: Service {
    /// Runs until the process's service group shuts down gracefully (SIGTERM, SIGINT).
    func run() async {
        await run(until: { try? await gracefulShutdown() })
    }
}
