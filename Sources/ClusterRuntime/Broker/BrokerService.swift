import BotAPI
import Bus
import Wire
import Foundation
import TGBot
import Logging
import ServiceLifecycle
import Locking
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
    let logger: Logger
    let bus: BusLoop
    private let bot: Bot
    let journal: Journal
    let telemetry: BrokerTelemetry
    /// The poller of `run --ingest-in-broker`, which runs on this broker's bus thread.
    let localIngest: LocalIngestLink?
    /// The worker hosts admitted on the remote socket, and the handler that admits them.
    private let allowed: AllowedKeys?
    private let zap: ZAPHandler?
    /// The core host's flood table, for the budgets of chats whose jobs go to other hosts.
    private let floodTable: FloodGate?

    static let ingestSocket = 0
    static let workersSocket = 1
    /// A DEALER to the supervisor's control endpoint: peers declared lost are reported there.
    static let supervisorSocket = 2
    /// Workers on other hosts (`--remote-workers`, CURVE); present only when configured.
    static let remoteSocket = 3

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
        let telemetry = BrokerTelemetry(configuration: configuration, logger: logger)
        self.telemetry = telemetry
        if configuration.metricsListen != nil {
            journalConfig.observeFsync = { telemetry.metrics.fsynced($0) }
        }
        journal = Journal(configuration: journalConfig, logger: logger)
        try LinkSecurity.checkLocal(configuration.ingestSocket, flag: "--ingest-endpoint", configuration, logger: logger)
        try LinkSecurity.checkLocal(configuration.workersSocket, flag: "--workers-endpoint", configuration, logger: logger)
        var sockets: [BusLoop.SocketSpec] = [
            .init(kind: .router, bind: [configuration.ingestSocket]),
            .init(kind: .router, bind: [configuration.workersSocket], highWaterMark: 100_000, bundling: .frames),
            .init(kind: .dealer, connect: [configuration.controlSocket], highWaterMark: 100),
        ]
        var allowed: AllowedKeys?
        var zap: ZAPHandler?
        if let remote = configuration.remoteWorkersEndpoint {
            let security = try LinkSecurity.server(configuration, logger: logger)
            if security.isCurve {
                // The handler first: a handshake that finds none is refused (the domain is enforced).
                let keys = AllowedKeys(directory: configuration.allowedKeysPath, logger: logger)
                zap = try ZAPHandler(context: context) { keys.decide($0) }
                allowed = keys
            }
            sockets.append(.init(kind: .router, bind: [remote], highWaterMark: 100_000, security: security,
                                 deadPeerInterval: LinkSecurity.deadPeerInterval(heartbeat: configuration.heartbeat), bundling: .frames))
        }
        self.allowed = allowed
        self.zap = zap
        floodTable = Self.openFloodTable(configuration, logger: logger)
        do {
            bus = try BusLoop(context: context, sockets: sockets, tick: configuration.heartbeat / 2, inline: true)
        } catch {
            zap?.shutdown()
            let endpoints = [configuration.ingestSocket, configuration.workersSocket] + (configuration.remoteWorkersEndpoint.map { [$0] } ?? [])
            throw RoleError.cannotListen("\(endpoints.joined(separator: ", ")): \(error)")
        }
        localIngest = configuration.ingestInBroker ? LocalIngestLink(bus: bus) : nil
    }

    /// Runs until `stop` completes and then until the work held is done (or the drain deadline).
    func run(until stop: @escaping @Sendable () async -> Void) async {
        var brokerConfig = BrokerState.Configuration()
        brokerConfig.heartbeatInterval = configuration.heartbeat
        brokerConfig.liveness = configuration.liveness
        brokerConfig.maxAttempts = configuration.maxAttempts
        brokerConfig.fingerprint = bot.fingerprint
        brokerConfig.program = Bot.programName
        brokerConfig.dispatch = configuration.dispatch
        brokerConfig.firstJobID = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        // As long as the broker waits for any silent peer: a worker that has not said READY by
        // then is dead by the broker's own rule (and a loaded host still makes it in time).
        brokerConfig.handoverWait = configuration.heartbeat * configuration.liveness
        let bot = self.bot
        var state = BrokerState(configuration: brokerConfig) { e in
            bot.route(e.raw, kind: e.kind).map { BrokerState.Route(handler: $0.handler, serial: $0.serial, ordered: $0.ordered, applies: $0.applies) }
        }
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
        do {
            try await telemetry.serve()
        } catch {
            logger.critical("\(error)")
            Foundation.exit(RoleError.bootFailure)
        }
        let loop = Loop(state: state, stats: StatsWriter(file: configuration.file("broker.json"), polls: localIngest != nil))
        let stopper = Task {
            await stop()
            loop.stopping.locked { $0 = true }
        }
        logger.info("listening", metadata: ["ingest": "\(configuration.ingestSocket)", "workers": "\(configuration.workersSocket)",
                                            "remote_workers": "\(configuration.remoteWorkersEndpoint ?? "-")"])
        // The state machine runs on the bus thread itself, called for each message and tick
        // in order: no lock, and no hop to another thread per message. `finished` resumes this
        // task once the drain is over; later messages are ignored.
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            // Before the loop starts: the local poller's first batch finds the journal recovered.
            localIngest?.attach { [self] frame in
                guard !loop.finished else { return false }
                intakeLocal(frame, loop)
                return true
            }
            bus.attach({ [self] m in
                guard !loop.finished else { return }
                if step(m, loop) {
                    loop.finished = true
                    finished.resume()
                }
            }, roundEnd: { [journal, bus] in
                // The round's frames for each peer, as one message per peer (`PeerBundles`).
                loop.bundles.send(on: bus)
                // The round's completion records in one write (after `finished`, `close` has them).
                if !loop.finished { journal.flushCompletions() }
            })
        }
        localIngest?.attach(nil)
        let final = loop.state
        var stats = loop.stats
        for peer in final.peerSummary {
            send(.disconnect, to: peer.peer)
        }
        stats.write(final, now: .now)
        stopper.cancel()
        let flushed = DispatchSemaphore(value: 0)
        journal.whenDurable { flushed.signal() }
        _ = flushed.wait(timeout: .now() + 5)
        journal.close()
        bus.shutdown()
        zap?.shutdown()
        await telemetry.stop()
    }

    /// One message or tick through the state machine, on the bus thread; true once a stop
    /// was asked for and the drain is over (nothing held, or the deadline passed).
    private func step(_ m: BusLoop.Message, _ loop: Loop) -> Bool {
        let now = ContinuousClock.now
        var appended: Journal.Ticket?
        if m.isTick {
            loop.actions = loop.state.tick(now: now)
            loop.stats.write(loop.state, now: now, botAPI: telemetry.metrics.peerTotals())
            telemetry.tick(loop.state, now: now)
            loop.ticks += 1
            if loop.ticks % 120 == 0 { journal.prune() }
            if loop.ticks % 4 == 0 { allowed?.reload() }
            // The poller in this process lives as long as the process: heard from, for /healthz.
            if localIngest != nil { telemetry.heardFromIngest(now) }
        } else {
            handle(m, state: &loop.state, lastPeer: &loop.lastPeer, now: now, appended: &appended, into: &loop.actions)
        }
        perform(draining: &loop.actions, state: &loop.state, now: now, appended: appended, bundles: loop.bundles)
        guard loop.stopping.locked({ $0 }) else { return false }
        let deadline = loop.drainDeadline ?? (now + configuration.drainDeadline)
        loop.drainDeadline = deadline
        guard loop.state.pending == 0 || now > deadline else { return false }
        if loop.state.pending > 0 { logger.warning("stopping with work left", metadata: ["pending": "\(loop.state.pending)"]) }
        return true
    }

    /// A frame to a worker or the sequencer, on the socket it came in by: into the round's
    /// `bundles` when given (a round of the bus loop, which sends them at its end), else at
    /// once. A job for a chat that goes to another host takes the chat's flood budget along.
    private func send(_ frame: Frame, to peer: PeerID, bundles: PeerBundles? = nil) {
        let remote = RemotePeer.isRemote(peer.bytes)
        let routing = remote ? RemotePeer.identity(peer.bytes) : peer.bytes
        let socket = remote ? Self.remoteSocket : Self.workersSocket
        func out(_ frame: Frame) {
            if let bundles {
                bundles.append(frame, to: peer, routing: routing, socket: socket)
            } else {
                bus.send(frame.encoded(after: routing), on: socket)
            }
        }
        if remote, let floodTable, case .job(let job) = frame, let chat = job.updateChatID, let budget = floodTable.budget(chatID: chat) {
            out(.flood(budget))
        }
        out(frame)
    }

    /// `appended`: set when the message was a batch the journal took (its ACK waits for that
    /// write's fsync, already started).
    private func handle(_ m: BusLoop.Message, state: inout BrokerState, lastPeer: inout PeerID?, now: ContinuousClock.Instant,
                        appended: inout Journal.Ticket?, into actions: inout [BrokerState.Action]) {
        // The supervisor's answers to peer-lost reports are JSON, not frames: nothing to do.
        guard m.socket != Self.supervisorSocket, let identity = m.frames.first else { return }
        let key = m.socket == Self.remoteSocket ? RemotePeer.key(identity) : identity
        let peer: PeerID
        if let last = lastPeer, last.isNamed(by: key) {
            peer = last
        } else {
            peer = PeerID(key)
            lastPeer = peer
        }
        if m.socket == Self.remoteSocket, let allowed, !(m.userID.map(allowed.contains) ?? false) {
            // Admitted at its handshake, but its key has left the allow-list since.
            actions += state.revoke(peer, reason: "this host's key is no longer in the broker's allow-list", now: now)
            return
        }
        let frame: Frame
        do {
            frame = try Frame.decode(m.frames.dropFirst())
        } catch {
            logger.warning("dropped a frame that does not parse", metadata: ["error": "\(error)"])
            return
        }
        if m.socket == Self.ingestSocket {
            // A batch's actions (its ACK, its JOBs) taken as they are when nothing is before them.
            let batch = ingest(frame, from: peer, state: &state, now: now, appended: &appended)
            if actions.isEmpty { actions = batch } else { actions += batch }
            return
        }
        // Metrics and flood budgets are the service's, but like any frame they say the peer is
        // alive: a peer's bus loop counts every send as its heartbeat, so a worker whose metrics
        // (once a second) always came before its next heartbeat (`--heartbeat` of ~1 s or more)
        // sent no heartbeat at all, and was declared lost every `liveness` intervals.
        if case .metrics(let report) = frame {
            telemetry.metrics.absorb(report, from: peer.bytes)
        } else if case .flood(let budget) = frame, RemotePeer.isRemote(peer.bytes) {
            floodTable?.absorb(budget)
        }
        state.received(frame, from: peer, now: now, into: &actions)
    }

    /// `bundles`: the bus loop's round, whose frames for each peer leave together at its end
    /// (nil outside a round: at once).
    func perform(_ actions: [BrokerState.Action], state: inout BrokerState, now: ContinuousClock.Instant,
                 appended: Journal.Ticket? = nil, bundles: PeerBundles? = nil) {
        var actions = actions
        perform(draining: &actions, state: &state, now: now, appended: appended, bundles: bundles)
    }

    /// `perform`, moving each action out of `actions` (left empty, its room kept): read in
    /// place, each action and its frame were copied (their payloads retained) and destroyed
    /// twice, ~1,100 instructions per update (`scripts/bench instructions`).
    func perform(draining actions: inout [BrokerState.Action], state: inout BrokerState, now: ContinuousClock.Instant,
                 appended: Journal.Ticket? = nil, bundles: PeerBundles? = nil) {
        var more: [BrokerState.Action] = []
        // (Emptying it by `popLast`, or taking the actions from its end after a `reverse`, cost
        // more: ~1,200 and ~1,000 instructions per update, the batch's hundred JOBs included.)
        defer { actions.removeAll(keepingCapacity: true) }
        for i in actions.indices {
            // Moved out, a case with no payload left behind.
            var action = BrokerState.Action.burstOver
            swap(&action, &actions[i])
            switch consume action {
            case .send(let peer, let frame):
                send(frame, to: peer, bundles: bundles)
            case .answerIngest(let peer, let frame):
                answerIngest(peer, frame, appended: appended)
            case .completed(let updateID):
                journal.complete(updateID)
            case .handoverOver(let finished, let adopted, let toRun):
                logger.info("recovered updates accounted for",
                            metadata: ["finished_elsewhere": "\(finished)", "adopted": "\(adopted)", "to_run": "\(toRun)"])
            case .deadLetter(let letter):
                more += deadLetter(letter, state: &state, now: now)
            case .burstOver:
                // The burst's jobs were allocated and freed on this thread (the bus thread),
                // whose heap is the one that keeps their pages.
                Allocator.returnFreedPages()
            case .refused(let peer, let reason):
                logger.error("peer refused", metadata: ["peer": "\(peer)", "reason": "\(reason)"])
            case .lost(let peer, let pid, let role, let reason, let requeued):
                telemetry.metrics.forget(peer.bytes)
                logger.warning("peer lost; its jobs go to others", metadata: ["peer": "\(peer)",
                                                                            "reason": "\(reason)", "jobs": "\(requeued)"])
                // A process the broker gave up on must not come back and finish jobs that now
                // run elsewhere: its supervisor kills it (gunicorn's arbiter does the same).
                let request = ControlRequest(command: .peerLost, pid: Int(pid), role: role.name, reason: reason)
                // A process id names a process on this host only: a remote host's own supervisor
                // sees its worker exit once the worker hears nothing from the broker.
                if pid > 0, !RemotePeer.isRemote(peer.bytes), let json = try? JSONEncoder().encode(request) {
                    bus.send([Data(), json], on: Self.supervisorSocket)
                }
            }
        }
        if !more.isEmpty { perform(draining: &more, state: &state, now: now, bundles: bundles) }
    }

    /// Records a job given up on (data dir `dead-letter.jsonl`), and hands an update's to the
    /// bot's error handler in the pool.
    private func deadLetter(_ letter: BrokerState.DeadLetter, state: inout BrokerState, now: ContinuousClock.Instant) -> [BrokerState.Action] {
        var entry = DeadLetterEntry(reason: letter.reason)
        entry.attempts = Int(letter.job.attempt)
        switch letter.job.payload {
        case .update(_, let envelope), .apply(_, let envelope, _):
            entry.updateID = envelope.updateID
            entry.kind = envelope.kind.rawValue
            entry.update = String(decoding: envelope.bytes, as: UTF8.self)
        case .task(let name, _):
            entry.job = name
        case .outbox(let id, let action):
            switch action {
            case .job(let name, _): entry.job = name
            case .call(let method, _, _): entry.job = "call \(method)"
            case .fire(let firing): entry.job = "fire \(firing.callback)"
            case .handler(let index, let update):
                entry.job = "handler \(index)"
                entry.update = String(decoding: update, as: UTF8.self)
            }
            entry.outboxID = id
        case .deadLetter:
            entry.job = "dead-letter notice"
        case .schedule:
            entry.job = "schedule change"
        }
        logger.error("dead-lettered", metadata: ["update_id": "\(entry.updateID.map(String.init) ?? "-")", "reason": "\(letter.reason)"])
        entry.append(to: configuration.file("dead-letter.jsonl"))
        guard let envelope = letter.job.payload.update else { return [] }
        return state.submit(.deadLetter(DeadLetterNotice(updateID: envelope.updateID, reason: letter.reason, update: envelope.bytes)), now: now)
    }
}

extension BrokerService {
    /// What the bus thread's handler keeps between messages. Touched only on the bus thread
    /// until `finished`, then only by `run`.
    final class Loop: @unchecked Sendable {
        var state: BrokerState
        var stats: StatsWriter
        var drainDeadline: ContinuousClock.Instant?
        var ticks = 0
        var finished = false
        /// The round's frames for each peer (`step` writes them, the round's end sends them).
        let bundles = PeerBundles()
        /// The last message's sender, made once: the next message (a bundle's next part, the
        /// same worker's next DONE) is most often from it too, and a `PeerID` made per message
        /// (its bytes copied into an array, hashed) was ~500 instructions.
        var lastPeer: PeerID?
        /// The actions of the message being handled: one array for every message, emptied
        /// after each (kept with its room, so a DONE's allocate nothing).
        var actions: [BrokerState.Action] = []
        /// Set by the task that waits for the service group's shutdown; any thread.
        let stopping = Mutex(false)

        init(state: BrokerState, stats: StatsWriter) {
            self.state = state
            self.stats = stats
        }
    }

    /// With workers on other hosts and flood limits on, the table this host's processes share
    /// (`TGCLUSTER_FLOOD_BUDGETS=off` leaves chats' budgets at home: the tests' failing variant).
    static func openFloodTable(_ configuration: ClusterConfiguration, logger: Logger) -> FloodGate? {
        guard configuration.remoteWorkersEndpoint != nil,
              ProcessInfo.processInfo.environment["TGCLUSTER_FLOOD_BUDGETS"] != "off" else { return nil }
        return configuration.openFloodGate(logger: logger, unavailable: "flood budgets stay per host")
    }
}

extension BrokerService: Service {
    /// Runs until the process's service group shuts down gracefully (SIGTERM, SIGINT).
    func run() async {
        await run(until: { try? await gracefulShutdown() })
    }
}
