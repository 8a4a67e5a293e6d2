import BotAPI
import Bus
import Foundation
import Logging
import Synchronization

/// A worker (or the sequencer, with capacity 1 and serial handlers): takes jobs from the
/// broker, runs them as Swift tasks, acknowledges each when its handler has finished.
///
/// READY with its capacity, heartbeats both ways, READY again when the broker does not know it
/// (the broker restarted). A handler running past the deadline makes the process exit: a task
/// cannot be killed, and the broker hands its jobs to another worker.
final class WorkerService: JobSubmitting, Sendable {
    private struct State: Sendable {
        var results: [UInt64: CheckedContinuation<Data, any Error>] = [:]
        var nextTaskID: UInt64 = 1
        var running: [UInt64: (started: ContinuousClock.Instant, description: String)] = [:]
        var lastHeard = ContinuousClock.now
        var lastReady = ContinuousClock.now
        var draining = false
    }

    private let bot: Bot
    private let configuration: ClusterConfiguration
    private let role: PeerRole
    private let capacity: Int
    private let client: BotClient
    private let logger: Logger
    private let bus: BusLoop
    private let state = Mutex(State())
    private let databases: SharedDatabase

    init(bot: Bot, configuration: ClusterConfiguration, role: PeerRole, capacity: Int, client: BotClient,
         context: ZMQContext, logger: Logger) throws {
        self.bot = bot
        self.configuration = configuration
        self.role = role
        self.capacity = capacity
        self.client = client
        self.logger = logger
        databases = SharedDatabase(path: configuration.file("state.sqlite").path)
        let identity = "\(role == .sequencer ? "sequencer" : "worker")-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        bus = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: identity, connect: [configuration.workersSocket])],
                          heartbeat: .init(socket: 0, frames: Frame.heartbeat.encoded(), interval: configuration.heartbeat))
    }

    private func send(_ frame: Frame) {
        bus.send(frame.encoded(), on: 0)
    }

    /// Runs until `stop` completes, then drains: DISCONNECT, finish what is in flight.
    func run(until stop: @escaping @Sendable () async -> Void) async {
        send(.ready(capacity: UInt32(capacity), role: role))
        logger.info("ready", metadata: ["capacity": "\(capacity)", "broker": "\(configuration.workersSocket)"])
        let consumer = Task { await consume() }
        let ticker = Task { await tick() }
        await stop()
        state.withLock { $0.draining = true }
        send(.disconnect)
        let deadline = ContinuousClock.now + configuration.drainDeadline
        while ContinuousClock.now < deadline, state.withLock({ !$0.running.isEmpty }) {
            try? await Task.sleep(for: .milliseconds(20))
        }
        ticker.cancel()
        consumer.cancel()
        bus.shutdown()
        databases.close()
    }

    private func consume() async {
        for await message in bus.inbound {
            let frame: Frame
            do {
                frame = try Frame.decode(message.frames)
            } catch {
                logger.warning("dropped a frame that does not parse", metadata: ["error": "\(error)"])
                continue
            }
            state.withLock { $0.lastHeard = .now }
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
            case .disconnect:
                // The broker answers every message from a peer it does not know so: say READY
                // once per heartbeat interval, not once per answer.
                let now = ContinuousClock.now
                let again = state.withLock { s -> Bool in
                    guard !s.draining, now - s.lastReady > configuration.heartbeat else { return false }
                    s.lastReady = now
                    return true
                }
                if again {
                    logger.debug("the broker does not know this process (or is leaving); saying READY again")
                    send(.ready(capacity: UInt32(capacity), role: role))
                }
            default:
                break
            }
        }
    }

    private func tick() async {
        while !Task.isCancelled {
            // Heartbeats go out from the bus thread; this checks handlers and the broker.
            try? await Task.sleep(for: configuration.heartbeat)
            let now = ContinuousClock.now
            let (hung, silent) = state.withLock { s in
                (s.running.first { now - $0.value.started > configuration.jobDeadline },
                 now - s.lastHeard > configuration.heartbeat * configuration.liveness && !s.draining)
            }
            if let (id, job) = hung {
                logger.error("a handler ran past its deadline; exiting so that its work is retried elsewhere",
                             metadata: ["job": "\(id)", "what": "\(job.description)", "deadline": "\(configuration.jobDeadline)"])
                exit(RoleError.hung)
            }
            if silent {
                // The broker is gone or restarted: introduce ourselves again (any answer counts).
                state.withLock { $0.lastHeard = now }
                send(.ready(capacity: UInt32(capacity), role: role))
            }
        }
    }

    private func execute(_ job: Job) async {
        let started = ContinuousClock.now
        switch job.payload {
        case .update(let index, let envelope):
            state.withLock { $0.running[job.id] = (started, "update \(envelope.updateID)") }
            var logger = self.logger
            logger[metadataKey: "update_id"] = "\(envelope.updateID)"
            let handlers = bot.handlers
            let ctx = Context(raw: envelope.raw, client: client, logger: logger, attempt: Int(job.attempt), jobs: JobRunner(backend: self),
                              databases: databases)
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
        case .outbox(let outboxID, let name, let input):
            await run(job, name: name, input: input, key: "outbox-\(outboxID)", started: started)
        case .task(let name, let input):
            await run(job, name: name, input: input, key: nil, started: started)
        }
    }

    private func run(_ job: Job, name: String, input: Data, key: String?, started: ContinuousClock.Instant) async {
            state.withLock { $0.running[job.id] = (started, "job \(name)") }
            var logger = self.logger
            logger[metadataKey: "job"] = "\(name)"
            if let key { logger[metadataKey: "job_key"] = "\(key)" }
            if name == DeferredCall.jobName {
                await deferredCall(job, input: input, logger: logger)
                return
            }
            if name == Firing.jobName {
                await fire(job, input: input, key: key ?? "job-\(job.id)", logger: logger)
                return
            }
            if name == DeadLetterNotice.jobName {
                await reportDeadLetter(input, logger: logger)
                finish(job.id, .ok, Data())
                return
            }
            guard let body = bot.jobBody(name) else {
                logger.error("no job with this name is registered on the bot")
                finish(job.id, .failed, Data("no job named \(name)".utf8))
                return
            }
            do {
                let ctx = JobContext(client: client, logger: logger, key: key, jobs: JobRunner(backend: self), databases: databases)
                let output = try await body(input, ctx)
                finish(job.id, .ok, output)
            } catch {
                logger.error("job failed", metadata: ["error": "\(error)"])
                await bot.errorHandler?(error, nil)
                finish(job.id, .failed, Data("\(error)".utf8))
            }
    }

    /// A scheduled job came due: its timer callback runs here.
    private func fire(_ job: Job, input: Data, key: String, logger: Logger) async {
        guard let firing = try? JSONDecoder().decode(Firing.self, from: input) else {
            finish(job.id, .failed, Data("malformed firing".utf8))
            return
        }
        var logger = logger
        logger[metadataKey: "schedule_id"] = "\(firing.scheduleID)"
        guard let body = bot.timerBody(firing.callback) else {
            logger.error("no timer with this name is registered on the bot", metadata: ["timer": "\(firing.callback)"])
            finish(job.id, .failed, Data("no timer named \(firing.callback)".utf8))
            return
        }
        let ctx = TimerContext(client: client, logger: logger, scheduleID: firing.scheduleID, name: firing.name, chatID: firing.chatID,
                               userID: firing.userID, scheduledFor: firing.scheduledFor, key: key, jobs: JobRunner(backend: self),
                               databases: databases)
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
    private func deferredCall(_ job: Job, input: Data, logger: Logger) async {
        guard let call = DeferredCall.parse(input) else {
            finish(job.id, .failed, Data("malformed deferred call".utf8))
            return
        }
        do {
            let response = try await client.send(methodName: call.method, json: call.json)
            finish(job.id, .ok, response.body)
        } catch {
            logger.error("deferred call failed", metadata: ["method": "\(call.method)", "error": "\(error)"])
            await bot.errorHandler?(error, nil)
            finish(job.id, .failed, Data("\(error)".utf8))
        }
    }

    private func finish(_ id: UInt64, _ outcome: Outcome, _ output: Data) {
        state.withLock { _ = $0.running.removeValue(forKey: id) }
        send(.done(jobID: id, outcome: outcome, output: output))
    }

    /// A poison update the broker gave up on reaches the bot's error handler here, without its
    /// handler running again.
    private func reportDeadLetter(_ input: Data, logger: Logger) async {
        guard let notice = try? JSONDecoder().decode(DeadLetterNotice.self, from: input) else { return }
        var logger = logger
        logger[metadataKey: "update_id"] = "\(notice.updateID ?? 0)"
        let error = DeadLetterError(updateID: notice.updateID, reason: notice.reason)
        logger.error("update dead-lettered", metadata: ["reason": "\(notice.reason)"])
        let ctx = notice.update.flatMap { try? RawUpdate(bytes: $0) }.map {
            Context(raw: $0, client: client, logger: logger, attempt: 0, jobs: JobRunner(backend: self), databases: databases)
        }
        await bot.errorHandler?(error, ctx)
    }

    // MARK: - JobSubmitting

    func submit(name: String, input: Data) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            let id = state.withLock { s -> UInt64 in
                let id = s.nextTaskID
                s.nextTaskID += 1
                s.results[id] = continuation
                return id
            }
            send(.submit(taskID: id, name: name, input: input))
        }
    }

    func lend() { send(.lend) }
    func reclaim() { send(.reclaim) }
}

/// What the broker sends the pool when it gives up on an update.
struct DeadLetterNotice: Codable, Sendable {
    static let jobName = "tgcluster.deadLetter"
    var updateID: Int64?
    var reason: String
    var update: Data?
}

/// The error the error handler sees for a dead-lettered update.
public struct DeadLetterError: Error, CustomStringConvertible, Sendable {
    public var updateID: Int64?
    public var reason: String
    public var description: String { "update \(updateID.map(String.init) ?? "?") dead-lettered: \(reason)" }
}
