import Bus
@testable import ClusterRuntime
import Foundation
import Synchronization
import Testing
import Wire

/// `LocalIngestLink` without processes: a batch reaches the broker's intake only on its bus
/// thread, and a batch the intake does not take (its loop has finished) is answered nil, never
/// left waiting.
@Suite("LocalIngestLink")
struct LocalIngestLinkTests {
    @Test func aBatch_isTakenOnTheBusThreadOnly_andOneNotTaken_isAnsweredNil() async throws {
        let context = ZMQContext()
        let bus = try BusLoop(context: context, sockets: [.init(kind: .dealer, connect: ["inproc://local-\(UUID().uuidString.prefix(8))"])],
                              inline: true)
        bus.attach { _ in }
        let link = LocalIngestLink(bus: bus)
        let taking = Mutex(true)
        link.attach { frame in
            guard taking.withLock({ $0 }), case .updates(let batch, _, _) = frame else { return false }
            link.answer(batch, .ack(batch: batch))
            return true
        }
        let onBus = { (batch: UInt64) async -> Frame? in
            await withTaskExecutorPreference(link.executor) { await link.send(batch, [], holdJobs: false, timeout: .milliseconds(10)) }
        }
        #expect(await onBus(1) == .ack(batch: 1))
        // Off the bus thread the broker's state is not touched: nil, after the pause.
        #expect(await link.send(2, [], holdJobs: false, timeout: .milliseconds(10)) == nil)
        // The loop has finished its drain: the intake refuses, and the batch hears nil.
        taking.withLock { $0 = false }
        let refused = Mutex<Frame??>(nil)
        Task { let answer = await onBus(3); refused.withLock { $0 = .some(answer) } }
        let deadline = ContinuousClock.now + .seconds(10)
        while refused.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(refused.withLock { $0 } == .some(nil), "a batch the intake did not take was left waiting")
        bus.shutdown()
        context.close()
    }
}
