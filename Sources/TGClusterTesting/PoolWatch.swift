import Foundation
import Locking
import Synchronization

/// Says on standard error when Swift's cooperative pool ran nothing for a while: a test (or a
/// handler under test) is blocking its threads, and every other test of the process waits —
/// the cause to look for when a test that is fast alone times out in the whole suite.
///
/// Started once per process by `SimHarness.start` (and so by `withCluster` and `BotTester`), or
/// by `start()`. A task on the pool beats every 50 ms; a thread of its own checks the beat and
/// reports a silence longer than `threshold` once, when it ends, with its length. A busy
/// machine delays the beat too, so the figure to look for is seconds, not tenths.
public enum PoolWatch {
    /// A silence this long is reported.
    public static let threshold: Duration = .seconds(2)

    private static let beat = Atomic<Int64>(0)
    private static let started = Atomic<Bool>(false)

    /// Starts the watch if it is not running; any later call does nothing.
    public static func start() {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        beat.store(now(), ordering: .relaxed)
        // The caller's priority, not a higher one: on Linux each priority has a pool of its own,
        // and the beat must share the tests' pool to see it blocked.
        Task {
            while true {
                beat.store(now(), ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let limit = Int64(threshold / .milliseconds(1))
        let thread = Thread.named("PoolWatch") {
            var silentSince: Int64?
            var cpuAtStart = CPUTime.read()
            while true {
                usleep(100_000)
                let last = beat.load(ordering: .relaxed)
                let age = now() - last
                if age > limit {
                    if silentSince == nil { cpuAtStart = CPUTime.read() }
                    silentSince = silentSince ?? last
                } else if let since = silentSince {
                    silentSince = nil
                    let seconds = Double(last - since) / 1_000
                    FileHandle.standardError.write(Data(
                        "PoolWatch: Swift's cooperative pool ran nothing for \(String(format: "%.1f", seconds)) s; \(CPUTime.read().since(cpuAtStart))\n".utf8))
                }
            }
        }
        thread.start()
    }

    /// This process's CPU time and the machine's, to tell a blocked pool (the process had CPU to
    /// spare) from a starved one (the machine's cores were busy with other processes).
    private struct CPUTime {
        var process: Double
        var machineBusy: Double
        var machineAll: Double

        static func read() -> CPUTime {
            let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
            var result = CPUTime(process: 0, machineBusy: 0, machineAll: 0)
            var usage = rusage()
            if getrusage(RUSAGE_SELF.rawValue, &usage) == 0 {
                result.process = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
                    + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
            }
            // /proc/stat's first line: user nice system idle iowait irq softirq steal ...
            if let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
               let line = stat.split(separator: "\n").first {
                let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
                if values.count >= 5 {
                    result.machineAll = values.prefix(8).reduce(0, +) / ticks
                    result.machineBusy = result.machineAll - (values[3] + values[4]) / ticks
                }
            }
            return result
        }

        /// What happened since `start`, in words for the report.
        func since(_ start: CPUTime) -> String {
            let all = machineAll - start.machineAll
            let busy = all > 0 ? (machineBusy - start.machineBusy) / all : 0
            let own = process - start.process
            let verdict = busy > 0.9 && own < 0.5 * (machineBusy - start.machineBusy)
                ? "other processes held the machine's cores: the pool was starved, not blocked"
                : "a test is blocking its threads (see offThePool)"
            return String(format: "this process used %.1f s of CPU while the machine's cores were %.0f%% busy: ", own, busy * 100)
                + verdict
        }
    }

    /// Milliseconds on a monotonic clock.
    private static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
