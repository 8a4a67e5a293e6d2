import BotAPI
import Bus
import Foundation
import Logging
import Synchronization

/// The broker process: `BrokerState` behind two ROUTER sockets (ingest; workers and the
/// sequencer), the update journal, a clock, the dead-letter file and a stats file for
/// `tgcluster status`.
///
/// A batch from ingest is journaled before the state machine takes it, and its ACK leaves only
/// once the journal's fsync covers it; a batch the journal cannot write (full disk) is
/// answered BUSY and nothing of it is kept, so ingest holds it and Telegram keeps it.
final class BrokerService: Sendable {
    private let configuration: ClusterConfiguration
    private let logger: Logger
    private let bus: BusLoop
    private let bot: Bot
    private let journal: Journal

    static let ingestSocket = 0
    static let workersSocket = 1

    init(bot: Bot, configuration: ClusterConfiguration, context: ZMQContext, logger: Logger) throws {
        self.bot = bot
        self.configuration = configuration
        self.logger = logger
        var journalConfig = Journal.Configuration(directory: configuration.file("journal"))
        journalConfig.retention = configuration.journalRetention
        journalConfig.archive = configuration.journalArchive
        if ProcessInfo.processInfo.environment["TGCLUSTER_JOURNAL_FAULTS"] == "1" {
            journalConfig.faultMarker = configuration.file("journal").appendingPathComponent("FULL")
        }
        journal = Journal(configuration: journalConfig, logger: logger)
        do {
            bus = try BusLoop(context: context, sockets: [
                .init(kind: .router, bind: [configuration.ingestSocket]),
                .init(kind: .router, bind: [configuration.workersSocket], highWaterMark: 100_000),
            ], tick: configuration.heartbeat / 2)
        } catch {
            throw RoleError.cannotListen("\(configuration.ingestSocket), \(configuration.workersSocket): \(error)")
        }
    }

    /// Runs until `stop` completes and then until the work held is done (or the drain deadline).
    func run(until stop: @escaping @Sendable () async -> Void) async {
        var brokerConfig = BrokerState.Configuration()
        brokerConfig.heartbeatInterval = configuration.heartbeat
        brokerConfig.liveness = configuration.liveness
        brokerConfig.maxAttempts = configuration.maxAttempts
        let bot = self.bot
        var state = BrokerState(configuration: brokerConfig) { bot.route($0) }
        do {
            let recovered = try journal.recover()
            if recovered.records > 0 {
                logger.info("journal recovered", metadata: ["segments": "\(recovered.segments)", "records": "\(recovered.records)",
                                                            "unfinished": "\(recovered.unfinished.count)", "skipped": "\(recovered.skipped)",
                                                            "truncated_bytes": "\(recovered.truncatedBytes)"])
            }
            perform(state.recover(unfinished: recovered.unfinished, seen: recovered.seen, now: .now), state: &state, now: .now)
        } catch {
            logger.critical("the journal cannot be read", metadata: ["error": "\(error)"])
            Foundation.exit(RoleError.bootFailure)
        }
        let stopping = Mutex(false)
        let stopper = Task {
            await stop()
            stopping.withLock { $0 = true }
        }
        logger.info("listening", metadata: ["ingest": "\(configuration.ingestSocket)", "workers": "\(configuration.workersSocket)"])
        var stats = StatsWriter(file: configuration.file("broker.json"))
        var drainDeadline: ContinuousClock.Instant?
        var ticks = 0
        // One stream, one consumer: messages and the clock's ticks arrive in order from the bus
        // thread, and the state machine runs without locks.
        for await m in bus.inbound {
            let now = ContinuousClock.now
            var actions: [BrokerState.Action] = []
            if m.isTick {
                actions = state.tick(now: now)
                stats.write(state, now: now)
                ticks += 1
                if ticks % 120 == 0 { journal.prune() }
            } else {
                actions = handle(m, state: &state, now: now)
            }
            perform(actions, state: &state, now: now)
            if stopping.withLock({ $0 }) {
                let deadline = drainDeadline ?? (now + configuration.drainDeadline)
                drainDeadline = deadline
                if state.pending == 0 || now > deadline {
                    if state.pending > 0 { logger.warning("stopping with work left", metadata: ["pending": "\(state.pending)"]) }
                    break
                }
            }
        }
        for (peer, _, _, _) in state.peerSummary {
            bus.send([peer] + Frame.disconnect.encoded(), on: Self.workersSocket)
        }
        stats.write(state, now: .now)
        stopper.cancel()
        let flushed = DispatchSemaphore(value: 0)
        journal.whenDurable { flushed.signal() }
        _ = flushed.wait(timeout: .now() + 5)
        journal.close()
        bus.shutdown()
    }

    private func handle(_ m: BusLoop.Message, state: inout BrokerState, now: ContinuousClock.Instant) -> [BrokerState.Action] {
        guard let peer = m.frames.first else { return [] }
        let frame: Frame
        do {
            frame = try Frame.decode(m.frames.dropFirst())
        } catch {
            logger.warning("dropped a frame that does not parse", metadata: ["error": "\(error)"])
            return []
        }
        if m.socket == Self.ingestSocket {
            if case .updates(let batch, let updates) = frame {
                let fresh = state.fresh(updates)
                if !fresh.isEmpty {
                    do {
                        try journal.append(accepted: fresh)
                    } catch {
                        logger.error("journal: cannot write; intake stops until it can (ingest keeps the batch)",
                                     metadata: ["error": "\(error)", "batch": "\(batch)"])
                        return [.answerIngest(peer: peer, .busy(batch: batch, retryAfterMilliseconds: 1000))]
                    }
                }
                return state.updates(batch, updates, from: peer, now: now)
            }
            return []
        }
        return state.received(frame, from: peer, now: now)
    }

    private func perform(_ actions: [BrokerState.Action], state: inout BrokerState, now: ContinuousClock.Instant) {
        var more: [BrokerState.Action] = []
        for action in actions {
            switch action {
            case .send(let peer, let frame):
                bus.send([peer] + frame.encoded(), on: Self.workersSocket)
            case .answerIngest(let peer, let frame):
                if case .ack = frame {
                    // Only what the journal has on disk is acknowledged.
                    let bus = self.bus
                    let frames = [peer] + frame.encoded()
                    journal.whenDurable { bus.send(frames, on: Self.ingestSocket) }
                } else {
                    bus.send([peer] + frame.encoded(), on: Self.ingestSocket)
                }
            case .completed(let updateID):
                journal.complete(updateID)
            case .deadLetter(let letter):
                more += deadLetter(letter, state: &state, now: now)
            case .lost(let peer, let reason, let requeued):
                logger.warning("peer lost; its jobs go to others", metadata: ["peer": "\(String(decoding: peer, as: UTF8.self))",
                                                                            "reason": "\(reason)", "jobs": "\(requeued)"])
            }
        }
        if !more.isEmpty { perform(more, state: &state, now: now) }
    }

    /// Records a job given up on (data dir `dead-letter.jsonl`), and hands an update's to the
    /// bot's error handler in the pool.
    private func deadLetter(_ letter: BrokerState.DeadLetter, state: inout BrokerState, now: ContinuousClock.Instant) -> [BrokerState.Action] {
        var entry: [String: Any] = ["time": Date().timeIntervalSince1970, "reason": letter.reason, "attempts": Int(letter.job.attempt)]
        var notice = DeadLetterNotice(updateID: nil, reason: letter.reason, update: nil)
        switch letter.job.payload {
        case .update(_, let envelope):
            entry["update_id"] = envelope.updateID
            entry["kind"] = envelope.kind.rawValue
            entry["update"] = String(decoding: envelope.bytes, as: UTF8.self)
            notice.updateID = envelope.updateID
            notice.update = envelope.bytes
        case .task(let name, _):
            entry["job"] = name
        case .outbox(let id, let name, _):
            entry["job"] = name
            entry["outbox_id"] = id
        }
        logger.error("dead-lettered", metadata: ["update_id": "\(notice.updateID.map(String.init) ?? "-")", "reason": "\(letter.reason)"])
        if let line = try? JSONSerialization.data(withJSONObject: entry, options: [.sortedKeys, .withoutEscapingSlashes]) {
            appendLine(line, to: configuration.file("dead-letter.jsonl"))
        }
        guard notice.updateID != nil, let input = try? JSONEncoder().encode(notice) else { return [] }
        return state.submit(name: DeadLetterNotice.jobName, input: input, now: now)
    }
}

func appendLine(_ line: Data, to url: URL) {
    if !FileManager.default.fileExists(atPath: url.path) {
        FileManager.default.createFile(atPath: url.path, contents: nil)
    }
    guard let handle = try? FileHandle(forWritingTo: url) else { return }
    defer { try? handle.close() }
    _ = try? handle.seekToEnd()
    try? handle.write(contentsOf: line + Data([10]))
}

/// Writes the broker's figures to `broker.json` about once a second, for `tgcluster status`.
struct StatsWriter {
    let file: URL
    var last: ContinuousClock.Instant?
    var lastCompleted = 0
    var rate = 0.0

    mutating func write(_ state: BrokerState, now: ContinuousClock.Instant) {
        if let last, now - last < .seconds(1) { return }
        let seconds = last.map { d -> Double in let x = now - d; return Double(x.components.seconds) + Double(x.components.attoseconds) / 1e18 } ?? 1
        rate = Double(state.counters.completed - lastCompleted) / max(seconds, 0.001)
        lastCompleted = state.counters.completed
        last = now
        let sorted = state.latencies.sorted()
        func pct(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let c = state.counters
        let object: [String: Any] = [
            "pid": Int(getpid()), "time": Date().timeIntervalSince1970,
            "queued": state.queued, "in_flight": state.inFlight, "pending": state.pending,
            "accepted": c.accepted, "duplicates": c.duplicates, "unhandled": c.unhandled, "completed": c.completed,
            "failed": c.failed, "requeued": c.requeued, "dead_lettered": c.deadLettered, "busy": c.busy,
            "updates_per_second": rate, "latency_ms_p50": pct(0.5), "latency_ms_p99": pct(0.99),
            "peers": state.peerSummary.map { ["id": String(decoding: $0.peer, as: UTF8.self), "role": $0.role == .worker ? "worker" : "sequencer",
                                              "capacity": $0.capacity, "in_flight": $0.inFlight] },
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        let tmp = file.appendingPathExtension("tmp")
        if (try? data.write(to: tmp)) != nil { rename(tmp.path, file.path) }
    }
}
