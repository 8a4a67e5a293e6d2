import Bus
import Foundation
import Logging
import Synchronization
import Testing
import Wire
@testable import ClusterRuntime

/// Ingest's line to the broker, against a broker of the test's own (a ROUTER on the ingest
/// socket that answers as told).
@Suite("BrokerLink")
struct BrokerLinkTests {
    /// Heartbeats every 100 ms; the ingest socket in a data directory of its own (the caller
    /// removes it).
    static func configuration() throws -> ClusterConfiguration {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-link-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var configuration = ClusterConfiguration()
        configuration.dataDir = dir.path
        configuration.heartbeat = .milliseconds(100)
        return configuration
    }

    /// An ACK resumes the sender at once; a batch the broker never answers hears nil once its
    /// timeout has passed, seen on the link's tick (one heartbeat later at most). The wait is a
    /// deadline checked on the tick, not a task sleeping per batch (which outlived every ACK
    /// and woke a pool thread per batch); without the check on the tick, the unanswered batch
    /// waits forever (tried: this test fails after its 30 s, a bound only for that case: in a loaded
    /// test run the whole test took 9 s).
    @Test func anAck_answersAtOnce_andSilence_answersNilAfterTheTimeout() async throws {
        let configuration = try Self.configuration()
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDir) }
        let context = ZMQContext()
        let broker = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [configuration.ingestSocket])], inline: true)
        let batches = Mutex<[UInt64]>([])
        broker.attach { m in
            guard !m.isTick, let frame = try? Frame.decode(m.frames.dropFirst()),
                  case .updates(let batch, _, _) = frame else { return }
            batches.withLock { $0.append(batch) }
            // The first batch is acknowledged; later ones are not answered at all.
            if batch == 1 { broker.send([m.frames[0]] + Frame.ack(batch: batch).encoded(), on: 0) }
        }
        let link = try BrokerLink(configuration: configuration, context: context,
                                  logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let update = UpdateEnvelope(updateID: 1, kind: .message, routingKey: .chat(1), bytes: Data(#"{"update_id":1}"#.utf8))

        let first = await link.send(link.takeBatchID(), [update], timeout: .seconds(30))
        guard case .ack(1)? = first else {
            Issue.record("expected the ACK of batch 1, got \(String(describing: first))")
            return
        }
        // Awaited in a task of its own, so that a link that never answers fails this test
        // instead of hanging it (`close` below resumes such a waiter).
        let answered = Mutex<(frame: Frame?, after: Duration)?>(nil)
        let started = ContinuousClock.now
        let batch = link.takeBatchID()
        Task {
            let frame = await link.send(batch, [update], timeout: .milliseconds(300))
            answered.withLock { $0 = (frame, ContinuousClock.now - started) }
        }
        while answered.withLock({ $0 }) == nil, ContinuousClock.now - started < .seconds(30) { try await Task.sleep(for: .milliseconds(20)) }
        let second = answered.withLock { $0 }
        #expect(second != nil, "the unanswered batch heard nothing in 30 s")
        if let second {
            #expect(second.frame == nil)
            #expect(second.after >= .milliseconds(300), "answered after \(second.after)")
        }
        #expect(batches.withLock { $0 } == [1, 2])
        link.close()
        broker.shutdown()
        context.close()
    }

    /// A batch handed over after the link has closed hears nil, after a pause as a silent
    /// broker's would be (so a sender's retries do not spin): it used to wait forever, its bus
    /// stopped and no tick left to end the wait (tried: this test fails after its 30 s).
    @Test func aBatchAfterClose_hearsNil_notNever() async throws {
        let configuration = try Self.configuration()
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDir) }
        let context = ZMQContext()
        let link = try BrokerLink(configuration: configuration, context: context,
                                  logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        link.close()
        let update = UpdateEnvelope(updateID: 1, kind: .message, routingKey: .chat(1), bytes: Data(#"{"update_id":1}"#.utf8))
        let answered = Mutex<(frame: Frame?, after: Duration)?>(nil)
        let started = ContinuousClock.now
        Task {
            let frame = await link.send(link.takeBatchID(), [update], timeout: .milliseconds(200))
            answered.withLock { $0 = (frame, ContinuousClock.now - started) }
        }
        while answered.withLock({ $0 }) == nil, ContinuousClock.now - started < .seconds(30) { try await Task.sleep(for: .milliseconds(20)) }
        let reply = try #require(answered.withLock { $0 }, "the batch after close heard nothing in 30 s")
        #expect(reply.frame == nil)
        #expect(reply.after >= .milliseconds(200), "answered after \(reply.after): a retry loop would spin")
        context.close()
    }
}
