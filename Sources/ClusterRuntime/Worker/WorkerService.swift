import BotAPI
import Bus
import Wire
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TGBot

/// A worker: takes jobs from the broker, runs them as Swift tasks, acknowledges each when its
/// handler has finished.
///
/// The protocol's peer side (READY, READY again, drain, refusal) is `PeerSession` behind
/// `PeerLink`. A handler running past the deadline makes the process exit (`HangWatchdog`): a
/// task cannot be killed, and the broker hands its jobs to another worker.
final class WorkerService: Sendable {
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
    private let databases: SharedDatabase
    private let watchdog: HangWatchdog

    init(bot: Bot, configuration: ClusterConfiguration, capacity: Int, client: BotClient,
         context: ZMQContext, logger: Logger) throws {
        self.bot = bot
        self.configuration = configuration
        self.capacity = capacity
        self.client = client
        self.logger = logger
        databases = SharedDatabase(path: configuration.file("state.sqlite").path)
        watchdog = HangWatchdog(deadline: configuration.jobDeadline, interval: min(configuration.heartbeat, .milliseconds(250))) { id, job in
            logger.error("a handler ran past its deadline; exiting so that its work is retried elsewhere",
                         metadata: ["job": "\(id)", "what": "\(job.what)", "deadline": "\(configuration.jobDeadline)"])
            exit(RoleError.hung)
        }
        let ready = Ready(capacity: UInt32(capacity), role: .worker, fingerprint: bot.fingerprint, program: Bot.programName,
                          pid: UInt32(getpid()))
        link = try PeerLink(ready: ready, endpoint: configuration.workersSocket,
                            configuration: .init(heartbeat: configuration.heartbeat, liveness: configuration.liveness),
                            context: context, logger: logger)
    }

    /// What this process's handlers and jobs do through their contexts.
    private var effects: PoolEffects { PoolEffects(client: client, worker: self, databases: databases) }

    private func send(_ frame: Frame) {
        link.send(frame)
    }

    /// Runs until `stop` completes, then drains: DISCONNECT, finish what is in flight.
    func run(until stop: @escaping @Sendable () async -> Void) async {
        link.start { [self] frame in received(frame) }
        logger.info("ready", metadata: ["capacity": "\(capacity)", "broker": "\(configuration.workersSocket)"])
        await stop()
        link.drain()
        let deadline = ContinuousClock.now + configuration.drainDeadline
        while ContinuousClock.now < deadline, watchdog.count > 0 {
            try? await Task.sleep(for: .milliseconds(20))
        }
        watchdog.stop()
        link.close()
        databases.close()
    }

    /// A frame for the worker itself (the session handled the rest).
    private func received(_ frame: Frame) {
        switch frame {
        case .job(let job):
            Task { await self.execute(job) }
        case .result(let taskID, let outcome, let output):
            let waiter = state.withLock { $0.results.removeValue(forKey: taskID) }
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
        switch job.payload {
        case .update(let index, let envelope):
            watchdog.started(job.id, "update \(envelope.updateID)", at: started)
            var logger = self.logger
            logger[metadataKey: "update_id"] = "\(envelope.updateID)"
            let handlers = bot.handlers
            let ctx = Context(raw: envelope.raw, client: client, logger: logger, attempt: Int(job.attempt), effects: effects)
            guard Int(index) < handlers.count else {
                finish(job.id, .failed, Data("no handler \(index)".utf8))
                return
            }
            do {
                try await handlers[Int(index)].handler(ctx)
                finish(job.id, .ok, Data())
            } catch {
                logger.error("handler failed", metadata: ["error": "\(error)"])
                await bot.errorHandler?(error, ctx)
                finish(job.id, .failed, Data("\(error)".utf8))
            }
        case .outbox(let outboxID, .job(let name, let input)):
            await run(job, name: name, input: input, key: "outbox-\(outboxID)", started: started)
        case .outbox(let outboxID, .call(let method, let parameters)):
            watchdog.started(job.id, "call \(method)", at: started)
            await deferredCall(job, method: method, parameters: parameters, logger: jobLogger(key: "outbox-\(outboxID)"))
        case .outbox(let outboxID, .fire(let firing)):
            watchdog.started(job.id, "timer \(firing.callback)", at: started)
            await fire(job, firing, key: "outbox-\(outboxID)", logger: jobLogger(key: "outbox-\(outboxID)"))
        case .task(let name, let input):
            await run(job, name: name, input: input, key: nil, started: started)
        case .deadLetter(let notice):
            watchdog.started(job.id, "dead-letter notice", at: started)
            await reportDeadLetter(notice, logger: logger)
            finish(job.id, .ok, Data())
        case .schedule:
            finish(job.id, .failed, Data("JobQueue changes are the sequencer's".utf8))
        }
    }

    private func jobLogger(key: String) -> Logger {
        var logger = self.logger
        logger[metadataKey: "job_key"] = "\(key)"
        return logger
    }

    private func run(_ job: Job, name: String, input: Data, key: String?, started: ContinuousClock.Instant) async {
        watchdog.started(job.id, "job \(name)", at: started)
        var logger = self.logger
        logger[metadataKey: "job"] = "\(name)"
        if let key { logger[metadataKey: "job_key"] = "\(key)" }
        guard let body = bot.jobBody(name) else {
            logger.error("no job with this name is registered on the bot")
            finish(job.id, .failed, Data("no job named \(name)".utf8))
            return
        }
        do {
            let ctx = JobContext(client: client, logger: logger, key: key, effects: effects)
            let output = try await body(input, ctx)
            finish(job.id, .ok, output)
        } catch {
            logger.error("job failed", metadata: ["error": "\(error)"])
            await bot.errorHandler?(error, nil)
            finish(job.id, .failed, Data("\(error)".utf8))
        }
    }

    /// A scheduled job came due: its timer callback runs here.
    private func fire(_ job: Job, _ firing: TimerFiring, key: String, logger: Logger) async {
        var logger = logger
        logger[metadataKey: "schedule_id"] = "\(firing.scheduleID)"
        guard let body = bot.timerBody(firing.callback) else {
            logger.error("no timer with this name is registered on the bot", metadata: ["timer": "\(firing.callback)"])
            finish(job.id, .failed, Data("no timer named \(firing.callback)".utf8))
            return
        }
        let ctx = TimerContext(client: client, logger: logger, scheduleID: firing.scheduleID, name: firing.name, chatID: firing.chatID,
                               userID: firing.userID, scheduledFor: Date(timeIntervalSince1970: firing.scheduledFor), key: key, effects: effects)
        do {
            try await body(firing.payload, ctx)
            finish(job.id, .ok, Data())
        } catch {
            logger.error("timer failed", metadata: ["error": "\(error)"])
            await bot.errorHandler?(error, nil)
            finish(job.id, .failed, Data("\(error)".utf8))
        }
    }

    /// A Bot API call a serial handler made (`reply`, `send`), now that its update committed.
    private func deferredCall(_ job: Job, method: String, parameters: Data, logger: Logger) async {
        do {
            let response = try await client.send(methodName: method, json: parameters)
            finish(job.id, .ok, response.body)
        } catch {
            logger.error("deferred call failed", metadata: ["method": "\(method)", "error": "\(error)"])
            await bot.errorHandler?(error, nil)
            finish(job.id, .failed, Data("\(error)".utf8))
        }
    }

    private func finish(_ id: UInt64, _ outcome: Outcome, _ output: Data) {
        watchdog.finished(id)
        send(.done(jobID: id, outcome: outcome, output: output))
    }

    /// A poison update the broker gave up on reaches the bot's error handler here, without its
    /// handler running again.
    private func reportDeadLetter(_ notice: DeadLetterNotice, logger: Logger) async {
        var logger = logger
        logger[metadataKey: "update_id"] = "\(notice.updateID ?? 0)"
        let error = DeadLetterError(updateID: notice.updateID, reason: notice.reason)
        logger.error("update dead-lettered", metadata: ["reason": "\(notice.reason)"])
        let ctx = (notice.update.isEmpty ? nil : try? RawUpdate(bytes: notice.update)).map {
            Context(raw: $0, client: client, logger: logger, attempt: 0, effects: effects)
        }
        await bot.errorHandler?(error, ctx)
    }

    // MARK: - Jobs and JobQueue changes on behalf of handlers (PoolEffects)

    func submit(name: String, input: Data) async throws -> Data {
        try await request { .submit(taskID: $0, name: name, input: input) }
    }

    func schedule(change: Data) async throws -> Data {
        try await request { .schedule(taskID: $0, change: change) }
    }

    /// Sends the frame `make` builds with a new task id; returns the RESULT's output.
    private func request(_ make: (UInt64) -> Frame) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            let id = state.withLock { s -> UInt64 in
                let id = s.nextTaskID
                s.nextTaskID += 1
                s.results[id] = continuation
                return id
            }
            send(make(id))
        }
    }

    func lend() { send(.lend) }
    func reclaim() { send(.reclaim) }
}

extension WorkerService: Service {
    /// Runs until the process's service group shuts down gracefully (SIGTERM, SIGINT).
    func run() async {
        await run(until: { try? await gracefulShutdown() })
    }
}
