import ClusterRuntime
import Foundation

/// A process the benchmark starts and stops: spawned by `ChildProcess` (default signal
/// dispositions, an empty mask, no inherited descriptors) and reaped by pid.
///
/// Not `Foundation.Process`: started from a task, its child inherits the blocked signal mask
/// of Swift's pool threads, and a python bot with SIGTERM blocked never stops.
final class BenchProcess {
    let processIdentifier: pid_t

    init(_ command: [String], environment: [String: String]) throws {
        processIdentifier = try ChildProcess.spawn(Array(command.dropFirst()), environment: environment,
                                                   executable: command[0], output: "/dev/null")
    }

    /// SIGTERM, then SIGKILL if it has not exited after `grace`; returns once it is reaped.
    func stop(grace: Duration = .seconds(20)) {
        ChildProcess.terminate(processIdentifier, grace: grace)
    }
}
