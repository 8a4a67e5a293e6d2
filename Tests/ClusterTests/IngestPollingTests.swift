import Bus
import Foundation
import Logging
import Synchronization
import TGBot
import TGClusterTesting
import Testing
import Wire
@testable import ClusterRuntime

/// Long-polling ingest against the emulator and a broker of the test's own: a batch that filled
/// its getUpdates page asks the broker to hold its work, and ingest says POLLING after that
/// batch's ACK, before the batch that follows; a batch short of a page asks nothing.
@Suite("Ingest: POLLING")
struct IngestPollingTests {
    /// What the test's broker heard, in order.
    enum Heard: Equatable {
        case updates(batch: UInt64, count: Int, holdJobs: Bool)
        case polling(batch: UInt64)
    }

    @Test func fullPages_holdTheirWork_andPollingFollowsEachOnesACK() async throws {
        let sim = try await SimHarness.start()
        defer { Task { try? await sim.shutdown() } }
        _ = try await sim.generate(250, chats: 50)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-ingest-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = ClusterConfiguration()
        configuration.dataDir = dir.path
        configuration.heartbeat = .milliseconds(100)
        configuration.pollTimeout = 1
        let context = ZMQContext()
        let broker = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [configuration.ingestSocket])], inline: true)
        let heard = Mutex<[Heard]>([])
        broker.attach { m in
            guard !m.isTick, let frame = try? Frame.decode(m.frames.dropFirst()) else { return }
            switch frame {
            case .updates(let batch, let updates, let holdJobs):
                heard.withLock { $0.append(.updates(batch: batch, count: updates.count, holdJobs: holdJobs)) }
                broker.send([m.frames[0]] + Frame.ack(batch: batch).encoded(), on: 0)
            case .polling(let batch):
                heard.withLock { $0.append(.polling(batch: batch)) }
            default:
                return
            }
        }
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let ingest = try IngestService(bot: Bot(), configuration: configuration, client: sim.client(), context: context, logger: logger)
        let polling = Task { try await ingest.run() }
        let deadline = ContinuousClock.now + TestBounds.notStuck(.seconds(30))
        func updatesHeard() -> Int {
            heard.withLock { $0.reduce(0) { n, h in if case .updates(_, let c, _) = h { return n + c }; return n } }
        }
        while updatesHeard() < 250, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        // Long enough for a POLLING after the third batch, if one were (wrongly) sent.
        try await Task.sleep(for: .milliseconds(300))
        polling.cancel()
        _ = try? await polling.value
        broker.shutdown()
        context.close()
        #expect(heard.withLock { $0 } == [
            .updates(batch: 1, count: 100, holdJobs: true), .polling(batch: 1),
            .updates(batch: 2, count: 100, holdJobs: true), .polling(batch: 2),
            .updates(batch: 3, count: 50, holdJobs: false),
        ])
    }
}
