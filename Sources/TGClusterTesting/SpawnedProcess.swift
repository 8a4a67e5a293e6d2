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
/// `waitpid` on our own pid is exact. And `Foundation.Process.run()` itself crashed the test
/// process once (a bad read inside it while it walked `/proc/self/fd`, with some 1,400
/// descriptors open in a parallel run): commands the tests run to their end go through `run`.
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

    /// What a command run to its end left: its status (128 + the signal that ended it) and
    /// what it wrote.
    public struct Finished: Sendable {
        public var status: Int32
        /// Stdout, with stderr unless `separateErrors`.
        public var output: String
        /// Stderr when `separateErrors`, else empty.
        public var errors: String
    }

    /// Runs `executable` to its end with `input` as its stdin; killed (and an error thrown)
    /// past `timeout`.
    public static func run(_ executable: String, _ arguments: [String],
                           environment: [String: String] = ProcessInfo.processInfo.environment,
                           input: Data? = nil, separateErrors: Bool = false, timeout: Duration = .seconds(120)) async throws -> Finished {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-run-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out", err = dir + "/err", stdin = dir + "/in"
        try (input ?? Data()).write(to: URL(fileURLWithPath: stdin))
        let pid = try ChildProcess.spawn(arguments, environment: environment, executable: executable, output: out,
                                         errors: separateErrors ? err : nil, input: stdin, newProcessGroup: false)
        let process = SpawnedProcess(pid: pid)
        let deadline = ContinuousClock.now + TestBounds.notStuck(timeout)
        while process.isRunning {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
                throw SpawnedProcessTimeout(command: ([executable] + arguments).joined(separator: " "), timeout: timeout)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        func read(_ path: String) -> String {
            (FileManager.default.contents(atPath: path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return Finished(status: process.terminationStatus, output: read(out), errors: separateErrors ? read(err) : "")
    }

    private init(pid: pid_t) { processIdentifier = pid }
}

/// A command `SpawnedProcess.run` started did not end in time (it was killed).
public struct SpawnedProcessTimeout: Error, CustomStringConvertible {
    public var command: String
    public var timeout: Duration
    public var description: String { "\(command) did not finish within \(timeout)" }
}
