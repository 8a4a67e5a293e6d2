import Foundation

/// The supervisor's decisions as a pure state machine (after gunicorn's arbiter): events in
/// (a child exited, the clock, scale, stop, a peer the broker declared lost), actions out
/// (spawn, kill, stop everything, write the status). No processes, no signals, no clock.
///
/// - At boot: broker, sequencer, the workers, then ingest (on a worker host, the workers
///   only). A child that cannot be spawned halts the cluster.
/// - A child that exits with the boot-error code (78) halts the cluster instead of
///   restart-looping; more than `crashLimit` crashes of one role within `crashWindow` also do.
/// - Any other exit is restarted after an exponential backoff (100 ms doubling, at most 10 s).
///   Workers are not restarted one by one: the count fixer starts what is missing once the
///   backoff has passed.
/// - The count fixer starts missing workers and drains the oldest extra ones (SIGTERM).
/// - A peer the broker declared lost is killed (SIGKILL) if it is a child in that role; its
///   exit is then a crash like any other.
struct SupervisorState: Sendable {
    struct Configuration: Sendable {
        var workers: Int
        /// Ingest processes; 0 when the broker polls in its own process (`--ingest-in-broker`).
        var ingests = 1
        /// A worker host (`run --role workers`): only the worker pool, the rest runs on the core host.
        var workersOnly = false
        var crashWindow: Duration = .seconds(30)
        var crashLimit = 10
        var backoffBase: Duration = .milliseconds(100)
        var backoffMax: Duration = .seconds(10)
        /// The status is written on every change, and at least this often.
        var statusInterval: Duration = .seconds(1)
    }

    struct Child: Sendable, Equatable {
        var role: String
        var pid: pid_t
        var started: ContinuousClock.Instant
        /// Unix seconds, for the status file.
        var startedWall: Double
        var restarts: Int
        var draining = false
    }

    /// How a child ended.
    struct ExitStatus: Sendable, Equatable {
        var code: Int32?
        var signal: Int32?

        var description: String { signal.map { "signal \($0)" } ?? "exit \(code ?? -1)" }
    }

    /// What the shell logs.
    enum Report: Sendable, Equatable {
        case drained(role: String, pid: pid_t, status: String)
        case restarting(role: String, pid: pid_t, status: String, delay: Duration)
        case bootFailure(role: String, pid: pid_t)
        case crashLoop(role: String, crashes: Int)
        case killingLost(role: String, pid: pid_t, reason: String)
        case drainingWorker(pid: pid_t)
        /// A worker left past its memory limit; replaced at once.
        case recycled(role: String, pid: pid_t)
    }

    enum Action: Sendable, Equatable {
        /// Start a child in `role`; the shell answers `spawned` or `spawnFailed`.
        case spawn(role: String, restarts: Int)
        case kill(pid: pid_t, signal: Int32)
        /// Stop every child in order and exit with `code`.
        case stop(code: Int32)
        case writeStatus
        case report(Report)
    }

    static let bootFailureCode: Int32 = 78
    static let recycledCode: Int32 = 79

    let configuration: Configuration
    private(set) var children: [Child] = []
    private(set) var desiredWorkers: Int
    private(set) var stopping: Int32?
    private var crashes: [String: [ContinuousClock.Instant]] = [:]
    private var restarts: [(role: String, at: ContinuousClock.Instant, restarts: Int)] = []
    private var workersHeldUntil: ContinuousClock.Instant
    private var statusSignature = ""
    private var statusWritten: ContinuousClock.Instant?

    init(configuration: Configuration, now: ContinuousClock.Instant) {
        self.configuration = configuration
        desiredWorkers = configuration.workers
        workersHeldUntil = now
    }

    /// The children to start, in order.
    func boot() -> [Action] {
        if configuration.workersOnly { return Array(repeating: .spawn(role: "worker", restarts: 0), count: desiredWorkers) }
        return [.spawn(role: "broker", restarts: 0), .spawn(role: "sequencer", restarts: 0)]
            + Array(repeating: .spawn(role: "worker", restarts: 0), count: desiredWorkers)
            + Array(repeating: .spawn(role: "ingest", restarts: 0), count: configuration.ingests)
    }

    mutating func spawned(role: String, pid: pid_t, restarts: Int, now: ContinuousClock.Instant, wall: Double) {
        children.append(Child(role: role, pid: pid, started: now, startedWall: wall, restarts: restarts))
    }

    /// A child could not be started: at boot the cluster cannot run; later it is a crash of
    /// that role (retried with backoff, counted towards a crash loop).
    mutating func spawnFailed(role: String, restarts: Int, booting: Bool, now: ContinuousClock.Instant) -> [Action] {
        if booting { return stop(code: 1) }
        return crashed(Child(role: role, pid: 0, started: now, startedWall: 0, restarts: restarts), status: ExitStatus(code: nil, signal: nil), now: now)
    }

    mutating func exited(pid: pid_t, status: ExitStatus, now: ContinuousClock.Instant) -> [Action] {
        guard let index = children.firstIndex(where: { $0.pid == pid }) else { return [] }
        let child = children.remove(at: index)
        guard stopping == nil else { return [] }
        if child.draining {
            return [.report(.drained(role: child.role, pid: pid, status: status.description))]
        }
        if status.code == Self.bootFailureCode {
            // The child's code, passed on: a service manager told not to restart on 78
            // (`RestartPreventExitStatus=78`) must not restart a cluster that cannot boot.
            return [.report(.bootFailure(role: child.role, pid: pid))] + stop(code: Self.bootFailureCode)
        }
        if status.code == Self.recycledCode {
            // Left on purpose (its memory limit): replaced at once, not counted as a crash. A
            // worker's replacement comes from the count fixer's next tick.
            if child.role != "worker" { restarts.append((child.role, now, child.restarts + 1)) }
            return [.report(.recycled(role: child.role, pid: pid))]
        }
        return crashed(child, status: status, now: now)
    }

    private mutating func crashed(_ child: Child, status: ExitStatus, now: ContinuousClock.Instant) -> [Action] {
        let pid = child.pid
        var times = (crashes[child.role] ?? []).filter { now - $0 < configuration.crashWindow }
        times.append(now)
        crashes[child.role] = times
        if times.count > configuration.crashLimit {
            return [.report(.crashLoop(role: child.role, crashes: times.count))] + stop(code: 1)
        }
        let delay = min(configuration.backoffMax, configuration.backoffBase * (1 << min(times.count - 1, 16)))
        if child.role == "worker" {
            // The count fixer starts the replacement once the backoff has passed.
            workersHeldUntil = max(workersHeldUntil, now + delay)
        } else {
            restarts.append((child.role, now + delay, child.restarts + 1))
        }
        return [.report(.restarting(role: child.role, pid: pid, status: status.description, delay: delay))]
    }

    mutating func scale(to workers: Int) {
        desiredWorkers = workers
    }

    mutating func peerLost(pid: pid_t, role: String, reason: String) -> [Action] {
        guard stopping == nil, children.contains(where: { $0.pid == pid && $0.role == role }) else { return [] }
        return [.report(.killingLost(role: role, pid: pid, reason: reason)), .kill(pid: pid, signal: SIGKILL)]
    }

    mutating func stop(code: Int32) -> [Action] {
        guard stopping == nil else { return [] }
        stopping = code
        return [.stop(code: code)]
    }

    /// The clock: restarts that are due, the worker count, the status.
    /// The workers that count towards the desired number (not those draining).
    private var activeWorkers: [Child] { children.filter { $0.role == "worker" && !$0.draining } }

    /// When `tick` has something to do next if nothing else happens (a child's exit or a
    /// request wakes the shell's loop sooner): a restart or the held workers due, the status.
    func nextDue(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        var due = statusWritten.map { $0 + configuration.statusInterval } ?? now
        for restart in restarts { due = min(due, restart.at) }
        if activeWorkers.count < desiredWorkers { due = min(due, workersHeldUntil) }
        return max(due, now)
    }

    mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        guard stopping == nil else { return [] }
        var actions: [Action] = []
        for due in restarts where due.at <= now { actions.append(.spawn(role: due.role, restarts: due.restarts)) }
        restarts.removeAll { $0.at <= now }
        let active = activeWorkers
        if now >= workersHeldUntil, active.count < desiredWorkers {
            actions += Array(repeating: .spawn(role: "worker", restarts: 0), count: desiredWorkers - active.count)
        }
        if active.count > desiredWorkers {
            let oldest = active.sorted { $0.started < $1.started }.prefix(active.count - desiredWorkers)
            for child in oldest {
                if let i = children.firstIndex(where: { $0.pid == child.pid }) { children[i].draining = true }
                actions += [.report(.drainingWorker(pid: child.pid)), .kill(pid: child.pid, signal: SIGTERM)]
            }
        }
        // Written when a child or the desired count changes, else once an interval: an idle
        // supervisor should cost next to nothing.
        let signature = children.map { "\($0.pid)\($0.draining)" }.joined(separator: ",") + "/\(desiredWorkers)"
        if signature != statusSignature || statusWritten.map({ now - $0 >= configuration.statusInterval }) ?? true {
            statusSignature = signature
            statusWritten = now
            actions.append(.writeStatus)
        }
        return actions
    }
}
