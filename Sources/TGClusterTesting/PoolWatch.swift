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
            while true {
                usleep(100_000)
                let last = beat.load(ordering: .relaxed)
                let age = now() - last
                if age > limit {
                    silentSince = silentSince ?? last
                } else if let since = silentSince {
                    silentSince = nil
                    let seconds = Double(last - since) / 1_000
                    FileHandle.standardError.write(Data(
                        "PoolWatch: Swift's cooperative pool ran nothing for \(String(format: "%.1f", seconds)) s; a test is blocking its threads (see offThePool)\n".utf8))
                }
            }
        }
        thread.start()
    }

    /// Milliseconds on a monotonic clock.
    private static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
