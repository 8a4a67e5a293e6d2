import Bus
import Foundation
import Logging
import Synchronization

/// `<bot> run`: starts broker, sequencer, ingest and N workers as children of the same binary
/// and keeps them so (after gunicorn's arbiter).
///
/// Signal handlers only enqueue; one loop reaps the supervisor's own children, restarts a
/// crashed one with exponential backoff, halts on a boot error (exit 78) or a crash loop
/// instead of restarting forever, and fixes the number of workers (`scale` changes a number the
/// loop acts on; the oldest worker drains first). SIGTERM/SIGINT stop in order: ingest first,
/// then the broker, which finishes the work it holds, then workers and sequencer.
final class Supervisor: Sendable {
    struct Options: Sendable {
        var workers: Int
        /// Flags passed on to every child (`--data-dir`, `--concurrency`, ...).
        var childArguments: [String: [String]]
        /// Ingest processes (several share a webhook port).
        var ingests = 1
    }

    struct Child: Sendable {
        var role: String
        var pid: pid_t
        var started: ContinuousClock.Instant
        var startedWall: Double
        var restarts: Int
        var draining = false
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
    private let desired: Mutex<Int>

    init(configuration: ClusterConfiguration, options: Options, logger: Logger) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
        desired = Mutex(options.workers)
    }

    /// Runs until stopped; returns the process exit code.
    func run() async -> Int32 {
        try? FileManager.default.createDirectory(atPath: configuration.absoluteDataDir, withIntermediateDirectories: true)
        let signals = installSignalHandlers()
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
        var children: [Child] = []
        var exitCode: Int32 = 0
        var crashTimes: [String: [ContinuousClock.Instant]] = [:]
        var restartAt: [(role: String, at: ContinuousClock.Instant, restarts: Int)] = []
        var workerHoldUntil = ContinuousClock.now
        var lastStatus = ""
        var lastStatusAt = ContinuousClock.now

        func start(_ role: String, restarts: Int = 0) -> Bool {
            do {
                let pid = try ChildProcess.spawn([role] + (options.childArguments[role] ?? []), environment: childEnvironment())
                children.append(Child(role: role, pid: pid, started: .now, startedWall: Date().timeIntervalSince1970, restarts: restarts))
                logger.info("started", metadata: ["role": "\(role)", "pid": "\(pid)"])
                return true
            } catch {
                logger.error("cannot start a child", metadata: ["role": "\(role)", "error": "\(error)"])
                return false
            }
        }

        var ok = start("broker") && start("sequencer")
        for _ in 0..<desired.withLock({ $0 }) where ok { ok = start("worker") }
        for _ in 0..<max(1, options.ingests) where ok { ok = start("ingest") }
        var stopping: Int32? = ok ? nil : 1

        while stopping == nil {
            try? await Task.sleep(for: .milliseconds(50))
            let now = ContinuousClock.now
            for request in requests.withLock({ r in defer { r.removeAll() }; return r }) {
                switch request {
                case .stop(let code): stopping = code
                case .scale(let n): desired.withLock { $0 = n }
                case .peerLost(let pid, let role, let reason):
                    // Only a child of ours in that role: a pid the broker names is nothing else here.
                    guard children.contains(where: { $0.pid == pid && $0.role == role }) else { break }
                    logger.warning("killing a child the broker declared lost", metadata: ["role": "\(role)", "pid": "\(pid)", "reason": "\(reason)"])
                    kill(pid, SIGKILL)
                }
            }
            if stopping != nil { break }
            // Reap our own children.
            for child in children {
                guard let status = ChildProcess.reap(child.pid) else { continue }
                children.removeAll { $0.pid == child.pid }
                let how = status.signal.map { "signal \($0)" } ?? "exit \(status.code ?? -1)"
                if child.draining {
                    logger.info("drained", metadata: ["role": "\(child.role)", "pid": "\(child.pid)", "status": "\(how)"])
                    continue
                }
                if status.code == RoleError.bootFailure {
                    logger.critical("a child failed to boot; stopping instead of restarting it", metadata: ["role": "\(child.role)", "pid": "\(child.pid)"])
                    stopping = 1
                    break
                }
                var times = (crashTimes[child.role] ?? []).filter { now - $0 < .seconds(30) }
                times.append(now)
                crashTimes[child.role] = times
                if times.count > 10 {
                    logger.critical("crash loop: giving up", metadata: ["role": "\(child.role)", "crashes_in_30s": "\(times.count)"])
                    stopping = 1
                    break
                }
                let delay = Duration.milliseconds(min(10_000, 100 << min(times.count - 1, 7)))
                logger.warning("child exited; restarting", metadata: ["role": "\(child.role)", "pid": "\(child.pid)", "status": "\(how)", "in": "\(delay)"])
                if child.role == "worker" {
                    // The count fixer below starts the replacement once the backoff has passed.
                    workerHoldUntil = max(workerHoldUntil, now + delay)
                } else {
                    restartAt.append((child.role, now + delay, child.restarts + 1))
                }
            }
            if stopping != nil { break }
            let due = restartAt.filter { $0.at <= now }
            restartAt.removeAll { $0.at <= now }
            for r in due { _ = start(r.role, restarts: r.restarts) }
            // Fix the number of workers: start missing ones, drain the oldest extra ones.
            let want = desired.withLock { $0 }
            var active = children.filter { $0.role == "worker" && !$0.draining }.count
            if now >= workerHoldUntil {
                while active < want, start("worker") { active += 1 }
            }
            if active > want {
                let oldest = children.indices.filter { children[$0].role == "worker" && !children[$0].draining }
                    .sorted { children[$0].started < children[$1].started }.prefix(active - want)
                for i in oldest {
                    children[i].draining = true
                    kill(children[i].pid, SIGTERM)
                    logger.info("draining a worker", metadata: ["pid": "\(children[i].pid)"])
                }
            }
            // Written when a child or the desired count changes, else once a second: the loop
            // runs every 50 ms and an idle supervisor should cost next to nothing.
            let signature = children.map { "\($0.pid)\($0.draining)" }.joined(separator: ",") + "/\(want)"
            if signature != lastStatus || now - lastStatusAt >= .seconds(1) {
                writeStatus(children)
                lastStatus = signature
                lastStatusAt = now
            }
        }
        exitCode = stopping ?? 0
        await stopAll(&children)
        writeStatus([])
        controlTask.cancel()
        control?.shutdown()
        context.close()
        signals.forEach { $0.cancel() }
        return exitCode
    }

    /// Ingest first (no new updates), then the broker (it finishes what it holds), then the rest.
    private func stopAll(_ children: inout [Child]) async {
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

    private func childEnvironment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env[ParentWatch.variable] = "\(getpid())"
        env["TGCLUSTER_DATA_DIR"] = configuration.dataDir
        if let token = configuration.token { env["TELEGRAM_BOT_TOKEN"] = token }
        env["TELEGRAM_API_URL"] = configuration.apiURL
        return env
    }

    private func installSignalHandlers() -> [any DispatchSourceSignal] {
        [SIGTERM, SIGINT, SIGQUIT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { @Sendable [weak self] in
                self?.requests.withLock { $0.append(.stop(0)) }
            }
            source.resume()
            return source
        }
    }

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
            requests.withLock { $0.append(.scale(n)) }
            return ControlAnswer(ok: true, workers: n)
        case .status:
            return ControlAnswer(ok: true, supervisor: SupervisorStatus.read(dataDir: configuration.absoluteDataDir),
                                 broker: BrokerStatus.read(dataDir: configuration.absoluteDataDir))
        case .stop:
            requests.withLock { $0.append(.stop(0)) }
            return ControlAnswer(ok: true)
        case .peerLost:
            guard let pid = request.pid, pid > 0, let role = request.role else { return ControlAnswer(ok: false, error: "peer-lost needs pid and role") }
            requests.withLock { $0.append(.peerLost(pid: pid_t(pid), role: role, reason: request.reason ?? "")) }
            return ControlAnswer(ok: true)
        }
    }

    private func writeStatus(_ children: [Child]) {
        let status = SupervisorStatus(
            pid: Int(getpid()), desiredWorkers: desired.withLock { $0 },
            children: children.map { .init(role: $0.role, pid: Int($0.pid), started: $0.startedWall, restarts: $0.restarts, draining: $0.draining) },
            time: Date().timeIntervalSince1970)
        StatusFile.write(status, to: configuration.file("supervisor.json"))
    }
}
