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
    /// A link on a bus loop of its own (a dealer on an inproc endpoint nobody binds).
    static func link() throws -> (ZMQContext, BusLoop, LocalIngestLink) {
        let context = ZMQContext()
        let bus = try BusLoop(context: context, sockets: [.init(kind: .dealer, connect: ["inproc://local-\(UUID().uuidString.prefix(8))"])],
                              inline: true)
        bus.attach { _ in }
        return (context, bus, LocalIngestLink(bus: bus))
    }

    @Test func aBatch_isTakenOnTheBusThreadOnly_andOneNotTaken_isAnsweredNil() async throws {
        let (context, bus, link) = try Self.link()
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

    /// The intake is read out of its lock for every batch. Held as a bare closure, each read
    /// through the lock's generic `inout` wrapped the stored closure in two more reabstraction
    /// thunks, so every batch ran through all the earlier batches' thunks: 127 frames deep (perf's
    /// limit) after a thousand light-load updates, a broker that slowed with age and would
    /// overflow its stack. The depth at the intake must not change from batch to batch.
    @Test func theIntake_isCalledAtTheSameDepth_afterManyBatches() async throws {
        let (context, bus, link) = try Self.link()
        let depths = Mutex<[Int]>([])
        link.attach { frame in
            guard case .updates(let batch, _, _) = frame else { return false }
            depths.withLock { $0.append(Thread.callStackReturnAddresses.count) }
            link.answer(batch, .ack(batch: batch))
            return true
        }
        await withTaskExecutorPreference(link.executor) {
            for batch in UInt64(1)...200 { _ = await link.send(batch, [], holdJobs: false, timeout: .milliseconds(10)) }
        }
        let seen = depths.withLock { $0 }
        #expect(seen.count == 200)
        #expect(seen.last == seen.first, "the intake ran \((seen.last ?? 0) - (seen.first ?? 0)) frames deeper after \(seen.count) batches")
        bus.shutdown()
        context.close()
    }
}
