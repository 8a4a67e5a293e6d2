import ClusterRuntime
import Foundation
import Locking
import Synchronization

/// A process the tests start and reap themselves, by pid.
///
/// Not `Foundation.Process`: on Linux it learns of an exit when a socketpair it leaves in the
/// child closes, and a child that inherits that descriptor (a supervisor's children, or any
/// process another test spawns at the same moment) keeps it open, so `isRunning` could stay
/// true long after the exit. Spawning through `ChildProcess` inherits no descriptor, and
/// `waitpid` on our own pid is exact.
public final class SpawnedProcess: Sendable {
    public let processIdentifier: pid_t
    private let status = Mutex<(code: Int32?, signal: Int32?)?>(nil)

    public init(executable: String, arguments: [String], environment: [String: String], output: String) throws {
        processIdentifier = try ChildProcess.spawn(arguments, environment: environment, executable: executable, output: output)
    }

    /// False once the process has exited (it is reaped then).
    public var isRunning: Bool {
        status.locked { s in
            if s == nil { s = ChildProcess.reap(processIdentifier) }
            return s == nil
        }
    }

    /// The exit code, or 128 + the signal that ended it; -1 while it runs.
    public var terminationStatus: Int32 {
        guard !isRunning, let s = status.locked({ $0 }) else { return -1 }
        return s.code ?? 128 + (s.signal ?? 0)
    }
}
