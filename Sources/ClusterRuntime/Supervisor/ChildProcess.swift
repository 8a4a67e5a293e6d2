internal import CSpawnShims
import Foundation

/// Starting and reaping the supervisor's children (package for tools that start a bot, such as
/// the benchmarks: the same clean start, reaped by pid).
///
/// Children get default signal dispositions, an empty signal mask and their own process group
/// (`posix_spawn` attributes), so SIGTERM reaches them even when the supervisor runs on a thread
/// with signals blocked, and a terminal's Ctrl-C reaches only the supervisor, which stops them in
/// order. Only the supervisor's own pids are reaped (`waitpid(pid, ..., WNOHANG)`), never `-1`.
package enum ChildProcess {
    /// This executable's path (children run the same binary).
    package static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Starts `executable` with `arguments`; its pid.
    ///
    /// The child inherits stdin, stdout and stderr and no other descriptor: without
    /// `closefrom`, a descriptor another thread opened without CLOEXEC (a socket, a pipe,
    /// Foundation.Process's exit-watch socketpair) would live on in every child and grandchild,
    /// and whoever waits for its other end to close would wait for the whole tree. `output`,
    /// when given, is a file the child's stdout and stderr append to (stderr to `errors`
    /// instead, when given); `input`, a file it reads as stdin. `newProcessGroup: false` keeps
    /// the child in the caller's group, so a terminal's Ctrl-C reaches it too.
    package static func spawn(_ arguments: [String], environment: [String: String], executable path: String = executable,
                             output: String? = nil, errors: String? = nil, input: String? = nil,
                             newProcessGroup: Bool = true) throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        let group = newProcessGroup ? POSIX_SPAWN_SETPGROUP : 0
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | group))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var rc = CSpawnShims_addclosefrom(&actions, 3)
        guard rc == 0 else { throw SpawnError(code: rc, arguments: arguments) }
        if let output {
            rc = posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_APPEND | O_CREAT, 0o600)
            if rc == 0 {
                if let errors {
                    rc = posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_APPEND | O_CREAT, 0o600)
                } else {
                    rc = posix_spawn_file_actions_adddup2(&actions, 1, 2)
                }
            }
            guard rc == 0 else { throw SpawnError(code: rc, arguments: arguments) }
        }
        if let input {
            rc = posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
            guard rc == 0 else { throw SpawnError(code: rc, arguments: arguments) }
        }

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        rc = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw SpawnError(code: rc, arguments: arguments) }
        return pid
    }

    /// The exit status of `pid` if it has ended: `(code, signal)`.
    package static func reap(_ pid: Int32) -> (code: Int32?, signal: Int32?)? {
        var status: Int32 = 0
        let rc = waitpid(pid, &status, WNOHANG)
        guard rc == pid else { return nil }
        let signal = status & 0x7f
        if signal == 0 { return ((status >> 8) & 0xff, nil) }
        return (nil, signal)
    }

    /// SIGTERM to `pid`, then SIGKILL if it has not exited after `grace`; returns once it is
    /// reaped (blocking the calling thread, in steps of 20 ms).
    package static func terminate(_ pid: Int32, grace: Duration) {
        guard reap(pid) == nil else { return }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while reap(pid) == nil {
            if ContinuousClock.now > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, nil, 0)
                return
            }
            usleep(20_000)
        }
    }

    package struct SpawnError: Error, CustomStringConvertible {
        package var code: Int32
        package var arguments: [String]
        package var description: String { "cannot start \(arguments.joined(separator: " ")): \(String(cString: strerror(code)))" }
    }
}
