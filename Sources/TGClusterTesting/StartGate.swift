import Foundation
import Synchronization

/// Lets a few clusters of a test run start at once, and the rest wait their turn.
///
/// A cluster's start is its most expensive moment: half a dozen processes each load, link and
/// set up — about 0.7 s of CPU for a debug build's cluster, 0.2 s for a release build's. A
/// parallel suite that starts twenty-five of them in its first seconds hands a small machine's
/// cores to some 170 starting processes, and the test process itself (its cooperative pool, the
/// emulator every cluster calls) gets a few percent of a core for seconds: a test that waits
/// 200 ms then found 5 s gone (tgcluster's own suite, measured with `perf`: the pool ran 2% of
/// the time from 2.5 to 11 s into the run). `ClusterHarness` holds a slot from its spawn until the
/// cluster is ready; the starts take as much CPU as before, one after another instead of all at
/// once.
public final class StartGate: Sendable {
    /// The gate every `ClusterHarness` start passes: one slot per core, at least two.
    public static let shared = StartGate(slots: max(2, ProcessInfo.processInfo.activeProcessorCount))

    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    public init(slots: Int) {
        state = Mutex(State(free: max(1, slots)))
    }

    /// Runs `body` holding a slot, waiting for one first if all are taken (first come, first
    /// served).
    public func withSlot<T>(isolation: isolated (any Actor)? = #isolation,
                            _ body: () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    /// Takes a slot, waiting for one if all are taken; `release` gives it back.
    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.free > 0 {
                    s.free -= 1
                    return true
                }
                s.waiting.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    /// Gives a slot back: to the longest waiting start, if any.
    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty {
                s.free += 1
                return nil
            }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}
