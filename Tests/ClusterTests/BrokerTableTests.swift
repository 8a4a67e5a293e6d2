import BotAPI
import Foundation
import Synchronization
import Testing
import Wire
@testable import ClusterRuntime

/// The broker's tables: the hash of their keys (`TableHash`), and the routes `fresh` hands to
/// `updates` in the batch's order.
@Suite("Broker tables")
struct BrokerTableTests {
    typealias T = BrokerStateTests
    let t0 = ContinuousClock.now

    /// A `Dictionary` indexes its buckets by a hash's low bits: keys that differ only in their
    /// high bits (a chat's queue key, negative for groups) must still spread over them, or
    /// lookups turn linear; so must sequential ones (job ids, which start at the broker's start
    /// time in microseconds). An identity or a bare multiply puts every "high bits" key in one
    /// bucket.
    @Test func keysThatDifferOnlyInHighBits_spreadOverTheLowBits() {
        for (name, keys) in [("sequential", (0..<4096).map { UInt64($0) }),
                             ("high bits", (0..<4096).map { UInt64($0) << 40 }),
                             ("chat-like", (0..<4096).map { UInt64(bitPattern: -1_001_000_000_000 - Int64($0) * 4096) })] {
            let buckets = Set(keys.map { TableHash.hash($0, seed: 12345) & 4095 })
            // A random function fills 1 - 1/e of them (2,589); below 2,400 is a bad mixer.
            #expect(buckets.count > 2_400, "\(name): \(buckets.count) of 4096 buckets")
        }
        #expect(TableHash.hash(7, seed: 1) != TableHash.hash(7, seed: 2), "the table's seed is mixed in")
    }

    /// The overridden hashes agree with equality: equal keys hash alike, so the tables find
    /// them (100,000 job ids in, looked up, taken out; peers made twice from the same bytes).
    @Test func tablesKeyedByTheBrokersTypes_findEveryKey() {
        var jobs: [JobID: Int] = [:]
        for i in 0..<100_000 { jobs[JobID(UInt64(i) * 7)] = i }
        #expect((0..<100_000).allSatisfy { jobs[JobID(UInt64($0) * 7)] == $0 })
        for i in stride(from: 0, to: 100_000, by: 2) { jobs[JobID(UInt64(i) * 7)] = nil }
        #expect(jobs.count == 50_000 && jobs[JobID(7)] == 1 && jobs[JobID(0)] == nil)
        var queues: Set<BrokerState.QueueKey> = [.key(5), .job(JobID(5)), .key(-5)]
        #expect(queues.count == 3 && queues.contains(.job(JobID(5))) && !queues.contains(.job(JobID(6))))
        queues.remove(.key(5))
        #expect(queues == [.job(JobID(5)), .key(-5)])
        let peers: [PeerID: Int] = [PeerID("worker-1-ab"): 1, PeerID("worker-2-cd"): 2]
        #expect(peers[PeerID(Data("worker-1-ab".utf8))] == 1 && peers[PeerID("worker-3-ef")] == nil)
    }

    /// `updates` takes the routes `fresh` found in the batch's order, skipping what `fresh`
    /// skipped (an update seen before, the batch's own duplicate, one too large): each update
    /// gets its own route, not its neighbour's, and is routed once.
    @Test func routesFromFresh_followTheBatchPastSkippedUpdates() {
        let routed = Mutex(0)
        var configuration = BrokerState.Configuration()
        configuration.maxUpdateBytes = 300
        var s = BrokerState(configuration: configuration) { e in
            routed.withLock { $0 += 1 }
            return .init(handler: UInt16(e.updateID % 7), serial: false, ordered: true)
        }
        _ = s.received(.ready(Ready(capacity: 100, role: .worker)), from: T.w1, now: t0)
        _ = s.updates(1, [T.update(3, chat: 1)], from: T.ingest, now: t0)
        let big = T.update(8, chat: 4, text: String(repeating: "x", count: 400))
        let batch = [T.update(3, chat: 1), T.update(4, chat: 2), T.update(4, chat: 2), big, T.update(5, chat: 3), T.update(6, chat: 5)]
        #expect(s.fresh(batch).map(\.updateID) == [4, 5, 6])
        let before = routed.withLock { $0 }
        let jobs = T.jobs(s.updates(2, batch, from: T.ingest, now: t0))
        let handlers = jobs.compactMap { job -> [Int64: UInt16]? in
            if case .update(let handler, let e) = job.job.payload { return [e.updateID: handler] }
            return nil
        }
        #expect(handlers == [[4: 4], [5: 5], [6: 6]])
        #expect(routed.withLock { $0 } - before == 1, "only the large update, which fresh left out, is routed again")
    }
}
