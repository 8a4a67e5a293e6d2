import Bus
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import Locking
import Synchronization

/// `<bot> run`: starts broker, sequencer, ingest and N workers as children of the same binary
/// and keeps them so (after gunicorn's arbiter).
///
/// Signal handlers only enqueue; one loop reaps the supervisor's own children, restarts a
/// crashed one with exponential backoff, halts on a boot error (exit 78) or a crash loop
/// instead of restarting forever, and fixes the number of workers (`scale` changes a number the
/// loop acts on; the oldest worker drains first). SIGTERM/SIGINT/SIGQUIT (the service group's
/// graceful shutdown) stop in order: ingest first, then the broker, which finishes the work it
/// holds, then workers and sequencer.
final class Supervisor: Service {
    struct Options: Sendable {
        var workers: Int
        /// Flags passed on to every child (`--data-dir`, `--concurrency`, ...).
        var childArguments: [String: [String]]
        /// Ingest processes (several share a webhook port; 0: the broker polls, `--ingest-in-broker`).
        var ingests = 1
        /// A worker host: the worker pool only, connected to a broker elsewhere.
        var workersOnly = false
    }

    enum Request: Sendable {
        case stop(Int32)
        case scale(Int)
        /// The broker declared this peer lost: kill it if it is ours and still runs.
        case peerLost(pid: pid_t, role: String, reason: String)
    }

    private let configuration: ClusterConfiguration
    private let options: Options
    private let logger: Logger
    private let requests = Mutex<[Request]>([])
    /// Ends the loop's wait: a child ended, a request came.
    private let wake = SupervisorWake()
    private let outcome = Mutex<Int32>(0)

    /// The signals that stop the cluster in order.
    static let stopSignals: [UnixSignal] = [.sigterm, .sigint, .sigquit]

    init(configuration: ClusterConfiguration, options: Options, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// The process's exit code once `run` has returned: 0 after a stop, 78 after a boot error.
    var exitCode: Int32 { outcome.locked { $0 } }

    /// Runs until stopped: a graceful shutdown of its service group only enqueues a stop, which
    /// the loop carries out (the children in order).
    func run() async {
        let code = await withGracefulShutdownHandler {
            await supervise()
        } onGracefulShutdown: { [self] in
            enqueue(.stop(0))
        }
        outcome.locked { $0 = code }
    }

    /// The arbiter's loop; returns the process exit code.
    private func supervise() async -> Int32 {
        logger.info("supervising", metadata: ["allocator": "\(Allocator.description)"])
        let context = ZMQContext()
        let control: BusLoop?
        do {
            control = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [configuration.controlSocket])])
        } catch {
            logger.error("cannot open the control endpoint", metadata: ["endpoint": "\(configuration.controlSocket)", "error": "\(error)"])
            control = nil
        }
        let controlTask = Task { [self] in
            guard let control else { return }
            for await m in control.inbound { handleControl(m, on: control) }
        }
        var state = SupervisorState(configuration: .init(workers: options.workers, ingests: options.ingests,
                                                   workersOnly: options.workersOnly), now: .now)
        var notify = NotifyState(notifier: SystemdNotifier(), schedule: NotifySchedule(watchdog: SystemdNotifier.watchdog()))
        var booting = true
        var stopCode: Int32?
        let watch = ChildWatch { [wake] in wake.post() }
        /// A child that could not be watched (no pidfds): the loop then looks every 50 ms.
        var unwatched = false
        func perform(_ actions: [SupervisorState.Action]) {
            var more: [SupervisorState.Action] = []
            for action in actions {
                switch action {
                case .spawn(let role, let restarts):
                    // A failed spawn at boot stops the cluster: the rest of the boot list is not started.
                    guard state.stopping == nil else { continue }
                    do {
                        let pid = try ChildProcess.spawn([role] + (options.childArguments[role] ?? []), environment: childEnvironment())
                        state.spawned(role: role, pid: pid, restarts: restarts, now: .now, wall: Date().timeIntervalSince1970)
                        if !watch.watch(pid) { unwatched = true }
                        logger.info("started", metadata: ["role": "\(role)", "pid": "\(pid)"])
                    } catch {
                        logger.error("cannot start a child", metadata: ["role": "\(role)", "error": "\(error)"])
                        more += state.spawnFailed(role: role, restarts: restarts, booting: booting, now: .now)
                    }
                case .kill(let pid, let signal):
                    kill(pid, signal)
                case .stop(let code):
                    stopCode = code
                case .writeStatus:
                    writeStatus(state.children, desiredWorkers: state.desiredWorkers)
                case .report(let report):
                    log(report)
                }
            }
            if !more.isEmpty { perform(more) }
        }

        perform(state.boot())
        booting = false
        while stopCode == nil {
            await waitForTurn(state, notify, unwatched: unwatched)
            for request in requests.locked({ r in defer { r.removeAll() }; return r }) {
                switch request {
                case .stop(let code): perform(state.stop(code: code))
                case .scale(let n): state.scale(to: n)
                case .peerLost(let pid, let role, let reason): perform(state.peerLost(pid: pid, role: role, reason: reason))
                }
            }
            // Reap our own children, by pid (a waitpid(-1) would steal other code's).
            for child in state.children {
                guard let status = ChildProcess.reap(child.pid) else { continue }
                perform(state.exited(pid: child.pid, status: .init(code: status.code, signal: status.signal), now: .now))
            }
            perform(state.tick(now: .now))
            self.notify(&notify, state)
        }
        watch.stop()
        notify.notifier?.send(notify.schedule.stopping())
        var children = state.children
        await stopAll(&children)
        writeStatus([], desiredWorkers: state.desiredWorkers)
        controlTask.cancel()
        control?.shutdown()
        context.close()
        return stopCode ?? 0
    }

    private func log(_ report: SupervisorState.Report) {
        switch report {
        case .drained(let role, let pid, let status):
            logger.info("drained", metadata: ["role": "\(role)", "pid": "\(pid)", "status": "\(status)"])
        case .recycled(let role, let pid):
            logger.notice("recycled past its memory limit; replacing it", metadata: ["role": "\(role)", "pid": "\(pid)"])
        case .restarting(let role, let pid, let status, let delay):
            logger.warning("child exited; restarting", metadata: ["role": "\(role)", "pid": "\(pid)", "status": "\(status)", "in": "\(delay)"])
        case .bootFailure(let role, let pid):
            logger.critical("a child failed to boot; stopping instead of restarting it", metadata: ["role": "\(role)", "pid": "\(pid)"])
        case .crashLoop(let role, let crashes):
            logger.critical("crash loop: giving up", metadata: ["role": "\(role)", "crashes": "\(crashes)"])
        case .killingLost(let role, let pid, let reason):
            logger.warning("killing a child the broker declared lost", metadata: ["role": "\(role)", "pid": "\(pid)", "reason": "\(reason)"])
        case .drainingWorker(let pid):
            logger.info("draining a worker", metadata: ["pid": "\(pid)"])
        }
    }

    /// Ingest first (no new updates), then the broker (it finishes what it holds), then the rest.
    private func stopAll(_ children: inout [SupervisorState.Child]) async {
        for group in [["ingest"], ["broker"], ["worker", "sequencer"]] {
            let members = children.filter { group.contains($0.role) }
            for c in members { kill(c.pid, SIGTERM) }
            let deadline = ContinuousClock.now + configuration.drainDeadline + .seconds(5)
            var left = members
            while !left.isEmpty {
                left.removeAll { ChildProcess.reap($0.pid) != nil }
                if ContinuousClock.now > deadline {
                    for c in left {
                        logger.warning("child did not stop in time; killing it", metadata: ["role": "\(c.role)", "pid": "\(c.pid)"])
                        kill(c.pid, SIGKILL)
                        _ = waitpid(c.pid, nil, 0)
                    }
                    break
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
            children.removeAll { group.contains($0.role) }
            logger.info("stopped", metadata: ["roles": "\(group.joined(separator: ","))"])
        }
    }

    /// The service manager's side of the loop: its notifier (nil when none listens), what to
    /// tell it when, and the broker's status file as last read.
    private struct NotifyState {
        let notifier: SystemdNotifier?
        var schedule: NotifySchedule
        var broker: (status: BrokerStatus?, read: ContinuousClock.Instant)?
    }

    /// One turn's notifications; the broker's status file is read at most once a second once
    /// the cluster is up.
    private func notify(_ n: inout NotifyState, _ state: SupervisorState) {
        guard let notifier = n.notifier else { return }
        let now = ContinuousClock.now
        if !n.schedule.ready || n.broker.map({ now - $0.read >= .seconds(1) }) ?? true {
            n.broker = (BrokerStatus.read(dataDir: configuration.absoluteDataDir), now)
        }
        notifier.send(n.schedule.tick(now: now, up: isUp(state, n.broker?.status), status: statusLine(state, n.broker?.status)))
    }

    /// Up: every worker and the sequencer registered at the broker, and ingest running (in the
    /// broker's process with `--ingest-in-broker`; on a worker host, whose broker is elsewhere: every worker started).
    private func isUp(_ state: SupervisorState, _ broker: BrokerStatus?) -> Bool {
        if options.workersOnly { return state.children.filter { $0.role == "worker" }.count >= state.desiredWorkers }
        guard options.ingests == 0 || state.children.contains(where: { $0.role == "ingest" }), let broker else { return false }
        return broker.peers.contains { $0.role == "sequencer" }
            && broker.peers.filter { $0.role == "worker" }.count >= state.desiredWorkers
    }

    /// The figures a service manager shows (`systemctl status`).
    private func statusLine(_ state: SupervisorState, _ broker: BrokerStatus?) -> String {
        let workers = state.children.filter { $0.role == "worker" }.count
        guard let b = broker else { return "starting: \(workers)/\(state.desiredWorkers) workers" }
        return String(format: "%d/%d workers, %.0f updates/s, p50 %.0f ms, %d queued, %d in flight, %d dead-lettered",
                      workers, state.desiredWorkers, b.updatesPerSecond, b.latencyP50, b.queued, b.inFlight, b.deadLettered)
    }

    private func childEnvironment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        // The service manager's notifications are the supervisor's alone.
        for key in SystemdNotifier.variables { env[key] = nil }
        env[ParentWatch.variable] = "\(getpid())"
        env["TGCLUSTER_DATA_DIR"] = configuration.dataDir
        if let token = configuration.token { env["TELEGRAM_BOT_TOKEN"] = token }
        env["TELEGRAM_API_URL"] = configuration.apiURL
        for (key, value) in Self.allocatorSettings where env[key] == nil { env[key] = value }
        return env
    }

    /// mimalloc (`Allocator`) gives a page back to the kernel once it has been free for 25 ms,
    /// and under load it is wanted again soon after: 0.48 page faults per update in the
    /// cluster against glibc's 0.04, each a trap and a zeroed page (counted as `minflt` of every
    /// process over 20,000 updates). After 1 s: 0.11; a burst's memory still goes back
    /// a second after the burst. An operator's own `MIMALLOC_DECOMMIT_DELAY` wins.
    static let allocatorSettings = ["MIMALLOC_DECOMMIT_DELAY": "1000"]

    private func handleControl(_ m: BusLoop.Message, on bus: BusLoop) {
        guard m.frames.count >= 2, let peer = m.frames.first else { return }
        let answer: ControlAnswer
        if let request = try? JSONDecoder().decode(ControlRequest.self, from: m.frames.last!) {
            answer = handle(request)
        } else {
            answer = ControlAnswer(ok: false, error: "not a control request (JSON with a known command)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        bus.send([peer, Data(), (try? encoder.encode(answer)) ?? Data("{}".utf8)], on: 0)
    }

    private func handle(_ request: ControlRequest) -> ControlAnswer {
        switch request.command {
        case .scale:
            guard let n = request.workers, (0...256).contains(n) else { return ControlAnswer(ok: false, error: "workers must be 0...256") }
            enqueue(.scale(n))
            return ControlAnswer(ok: true, workers: n)
        case .status:
            return ControlAnswer(ok: true, supervisor: SupervisorStatus.read(dataDir: configuration.absoluteDataDir),
                                 broker: BrokerStatus.read(dataDir: configuration.absoluteDataDir))
        case .stop:
            enqueue(.stop(0))
            return ControlAnswer(ok: true)
        case .peerLost:
            guard let pid = request.pid, pid > 0, let role = request.role else { return ControlAnswer(ok: false, error: "peer-lost needs pid and role") }
            enqueue(.peerLost(pid: pid_t(pid), role: role, reason: request.reason ?? ""))
            return ControlAnswer(ok: true)
        }
    }

    /// Until the next thing due, a second at most, unless a child's end or a request wakes the
    /// loop first (an idle supervisor turned every 50 ms before); every 50 ms when a child could
    /// not be watched.
    private func waitForTurn(_ state: SupervisorState, _ notify: NotifyState, unwatched: Bool) async {
        let now = ContinuousClock.now
        var until = min(now + .seconds(1), state.nextDue(now: now))
        if notify.notifier != nil, let due = notify.schedule.nextDue(now: now) { until = min(until, due) }
        if unwatched { until = min(until, now + .milliseconds(50)) }
        await wake.wait(until: until)
    }

    /// Hands `request` to the loop and wakes it.
    private func enqueue(_ request: Request) {
        requests.locked { $0.append(request) }
        wake.post()
    }

    private func writeStatus(_ children: [SupervisorState.Child], desiredWorkers: Int) {
        let status = SupervisorStatus(
            pid: Int(getpid()), desiredWorkers: desiredWorkers,
            children: children.map { .init(role: $0.role, pid: Int($0.pid), started: $0.startedWall, restarts: $0.restarts, draining: $0.draining) },
            time: Date().timeIntervalSince1970)
        StatusFile.write(status, to: configuration.file("supervisor.json"))
    }
}
