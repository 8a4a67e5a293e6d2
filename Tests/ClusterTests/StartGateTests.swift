import Foundation
import Synchronization
import Testing
import TGClusterTesting

/// The gate that spreads a test run's cluster starts: never more bodies at once than its slots,
/// and every one runs.
@Suite("StartGate")
struct StartGateTests {
    @Test func neverMoreStartsAtOnceThanItsSlots_andEveryOneRuns() async {
        let gate = StartGate(slots: 2)
        let counts = Counts()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    await gate.withSlot {
                        counts.started()
                        try? await Task.sleep(for: .milliseconds(30))
                        counts.ended()
                    }
                }
            }
        }
        let (most, done) = counts.figures
        #expect(done == 8)
        // At most two; exactly two would fail a loaded run whose tasks start more than 30 ms apart.
        #expect(most <= 2, "eight starts of 30 ms each, two slots: never more than two at once")
    }

    final class Counts: Sendable {
        private let state = Mutex((running: 0, most: 0, done: 0))
        func started() { state.withLock { $0.running += 1; $0.most = max($0.most, $0.running) } }
        func ended() { state.withLock { $0.running -= 1; $0.done += 1 } }
        var figures: (most: Int, done: Int) { state.withLock { ($0.most, $0.done) } }
    }

    /// A body that throws gives its slot back: the next start does not wait forever.
    @Test func aStartThatFails_givesItsSlotBack() async {
        struct Failed: Error {}
        let gate = StartGate(slots: 1)
        await #expect(throws: Failed.self) { try await gate.withSlot { throw Failed() } }
        let ran = await gate.withSlot { true }
        #expect(ran)
    }
}
