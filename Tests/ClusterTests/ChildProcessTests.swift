@testable import ClusterRuntime
import Foundation
import Testing
import Synchronization
import TGClusterTesting

/// How the supervisor starts its children: a clean signal state, a process group of its own,
/// and no inherited descriptor beyond stdin, stdout and stderr.
@Suite("ChildProcess")
struct ChildProcessTests {
    /// A field of `/proc/<pid>/status`, e.g. `SigBlk`.
    static func status(_ pid: pid_t, _ field: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    @Test func spawnedFromABlockedThread_childHasEmptyMaskDefaultSignalsNoExtraDescriptors() throws {
        // What a Dispatch thread or a supervisor that ignores SIGTERM would pass on.
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGTERM)
        sigaddset(&block, SIGINT)
        pthread_sigmask(SIG_BLOCK, &block, &old)
        let previous = signal(SIGPIPE, SIG_IGN)
        // A descriptor without CLOEXEC, as another thread (or Foundation.Process) may hold.
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let pid: pid_t
        do {
            defer {
                pthread_sigmask(SIG_SETMASK, &old, nil)
                signal(SIGPIPE, previous)
            }
            pid = try ChildProcess.spawn(["30"], environment: [:], executable: "/bin/sleep")
        }
        defer {
            kill(pid, SIGKILL)
            _ = waitpid(pid, nil, 0)
            close(fds[0])
            close(fds[1])
        }
        #expect(Self.status(pid, "SigBlk") == "0000000000000000")
        // Standard signals only: glibc keeps its internal real-time signals (32, 33) out of
        // sigfillset, so the runner's dispositions of those may pass through.
        let ignored = UInt64(Self.status(pid, "SigIgn") ?? "", radix: 16)
        let standard: UInt64 = 0x7fff_ffff  // bit n-1 stands for signal n
        #expect(ignored.map { $0 & standard } == 0, "ignored signals: \(Self.status(pid, "SigIgn") ?? "?")")
        // The child's own start opens descriptors for a moment (the dynamic loader reads
        // ld.so.cache and libc on fd 3): wait for it to settle. An inherited one never closes.
        var open: [Int32] = []
        for _ in 0..<100 {
            open = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").compactMap { Int32($0) }.sorted()
            if open.allSatisfy({ $0 <= 2 }) { break }
            usleep(20_000)
        }
        #expect(open.allSatisfy { $0 <= 2 }, "the child inherited descriptors \(open)")
        #expect(getpgid(pid) == pid, "the child should lead a process group of its own")
        #expect(ChildProcess.reap(pid) == nil)
        kill(pid, SIGTERM)  // default disposition: it ends
        var status: (code: Int32?, signal: Int32?)?
        for _ in 0..<200 where status == nil {
            status = ChildProcess.reap(pid)
            usleep(10_000)
        }
        #expect(status?.signal == SIGTERM)
    }

    @Test func output_appendsStdoutAndStderrToAFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-spawn-\(UUID().uuidString.prefix(6)).log").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let pid = try ChildProcess.spawn(["-c", "echo out; echo err >&2; exit 3"], environment: [:], executable: "/bin/sh", output: file)
        var status: (code: Int32?, signal: Int32?)?
        for _ in 0..<500 where status == nil {
            status = ChildProcess.reap(pid)
            usleep(10_000)
        }
        #expect(status?.code == 3)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "out\nerr\n")
    }

    /// What the tests run to its end (`SpawnedProcess.run`, instead of Foundation.Process): stdin
    /// from a file, stdout and stderr apart or together, the status, and a kill past the timeout.
    @Test func run_feedsStdin_keepsStderrApart_andKillsPastItsTimeout() async throws {
        let apart = try await SpawnedProcess.run("/bin/sh", ["-c", "tr a-z A-Z; echo err >&2; exit 4"], environment: [:],
                                                 input: Data("hello\n".utf8), separateErrors: true)
        #expect(apart.status == 4 && apart.output == "HELLO\n" && apart.errors == "err\n")
        let together = try await SpawnedProcess.run("/bin/sh", ["-c", "echo out; echo err >&2"], environment: [:])
        #expect(together.status == 0 && together.output == "out\nerr\n" && together.errors.isEmpty)
        let started = ContinuousClock.now
        await #expect(throws: SpawnedProcessTimeout.self) {
            _ = try await SpawnedProcess.run("/bin/sleep", ["30"], environment: [:], timeout: .milliseconds(300))
        }
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    /// The supervisor's loop sleeps until a child ends: the watch says so once the child has
    /// ended, not before, and the child is still the supervisor's to reap (by pid).
    @Test func aWatchedChild_wakesItsWatcher_whenItEnds_andNotBefore() async throws {
        let ended = Mutex(0)
        let watch = ChildWatch { ended.withLock { $0 += 1 } }
        defer { watch.stop() }
        let child = try ChildProcess.spawn(["30"], environment: [:], executable: "/bin/sleep")
        #expect(watch.watch(child))
        try await Task.sleep(for: .milliseconds(300))
        #expect(ended.withLock { $0 } == 0, "woken while the child runs")
        kill(child, SIGKILL)
        try await waitUntil("the watch saw the end", timeout: TestBounds.notStuck(.seconds(5))) { ended.withLock { $0 } == 1 }
        #expect(ChildProcess.reap(child)?.signal == SIGKILL, "left for the supervisor to reap")
        #expect(!watch.watch(child), "a process that is gone cannot be watched")
    }

    @Test func terminate_endsAChildThatIgnoresSIGTERM_afterItsGrace() throws {
        // The child says when its trap is set: on a loaded machine a fixed pause may be too short,
        // and a SIGTERM before the trap ends the child at once.
        let ready = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-trap-\(UUID().uuidString.prefix(6))").path
        defer { try? FileManager.default.removeItem(atPath: ready) }
        let stubborn = try ChildProcess.spawn(["-c", "trap '' TERM; : > \(ready); sleep 30"], environment: [:], executable: "/bin/sh")
        for _ in 0..<1000 where !FileManager.default.fileExists(atPath: ready) { usleep(10_000) }
        try #require(FileManager.default.fileExists(atPath: ready), "the child set its trap")
        let clock = ContinuousClock()
        let start = clock.now
        ChildProcess.terminate(stubborn, grace: .milliseconds(300))
        let took = clock.now - start
        #expect(took >= .milliseconds(300) && took < TestBounds.notStuck(.seconds(5)), "\(took)")
        #expect(kill(stubborn, 0) != 0, "reaped: the pid is gone")
        let polite = try ChildProcess.spawn(["30"], environment: [:], executable: "/bin/sleep")
        let again = clock.now
        ChildProcess.terminate(polite, grace: .seconds(10))
        #expect(clock.now - again < TestBounds.notStuck(.seconds(5)), "SIGTERM alone ends it")
    }
}
