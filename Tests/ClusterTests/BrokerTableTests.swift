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

    /// The broker keeps the last message's peer and reuses it when the next message's identity
    /// names it: the same bytes, from any buffer (a slice too); a prefix, a longer identity or
    /// one byte off names another peer.
    @Test func aPeer_isNamedByItsIdentitysBytes_only() {
        let peer = PeerID("worker-1-ab")
        #expect(peer.isNamed(by: Data("worker-1-ab".utf8)))
        #expect(peer.isNamed(by: Data("xxworker-1-ab".utf8).dropFirst(2)))
        #expect(!peer.isNamed(by: Data("worker-1-a".utf8)))
        #expect(!peer.isNamed(by: Data("worker-1-abc".utf8)))
        #expect(!peer.isNamed(by: Data("worker-1-ac".utf8)))
        #expect(!peer.isNamed(by: Data()))
        #expect(PeerID(Data()).isNamed(by: Data()))
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

/// A burst's tables and pages go back once the last job is done (`lastJobDone`).
extension BrokerTableTests {
    /// 10,000 updates held at once, then all done: `jobs` gives back the buckets it grew to
    /// (without the release it keeps room for 10,000) and the last DONE says the burst is over;
    /// a cluster at light load, whose table empties after every update, keeps its few buckets
    /// rather than reallocating them, and says so once per 10,000 updates, not per update.
    @Test func aBurstsTables_goBackWhenTheLastJobIsDone() {
        var s = T.makeState()
        _ = s.received(.ready(Ready(capacity: 20_000, role: .worker)), from: T.w1, now: t0)
        var sent: [(peer: PeerID, job: Job)] = []
        for batch in 0..<100 {
            let updates = (0..<100).map { T.update(Int64(batch * 100 + $0 + 1), chat: Int64(batch * 100 + $0)) }
            sent += T.jobs(s.updates(UInt64(batch + 1), updates, from: T.ingest, now: t0))
        }
        #expect(sent.count == 10_000 && s.jobs.capacity >= 10_000)
        for (_, job) in sent.dropLast() { _ = s.received(.done(jobID: job.id, outcome: .ok, output: Data()), from: T.w1, now: t0) }
        #expect(s.jobs.count == 1 && s.jobs.capacity >= 10_000, "one job still held: the table stays")
        let last = s.received(.done(jobID: sent.last!.job.id, outcome: .ok, output: Data()), from: T.w1, now: t0)
        #expect(last.contains(.burstOver), "the service returns the burst's freed pages")
        #expect(s.jobs.isEmpty && s.jobs.capacity <= BrokerState.burstCapacity, "capacity \(s.jobs.capacity) after the burst")
        #expect(s.queues.capacity <= BrokerState.burstCapacity)

        // Light load: one update at a time, each done before the next, keeps its small table,
        // and its idle moments are a burst's end once per `burstJobs` updates.
        var kept: Set<Int> = []
        var ends: [Int] = []
        for i in 0..<BrokerState.burstJobs {
            let job = T.jobs(s.updates(UInt64(101 + i), [T.update(Int64(20_001 + i), chat: 1)], from: T.ingest, now: t0))
            let done = s.received(.done(jobID: job[0].job.id, outcome: .ok, output: Data()), from: T.w1, now: t0)
            if done.contains(.burstOver) { ends.append(i + 1) }
            kept.insert(s.jobs.capacity)
        }
        #expect(ends == [BrokerState.burstJobs])
        #expect(kept.count == 1 && kept.first! > 0, "capacities after each update: \(kept.sorted())")
    }

    /// The finished outbox jobs the broker remembers (so that a restarted sequencer's EMIT of
    /// one is answered, not run again) are bounded by `outboxWindow` (100,000 by default; the
    /// README's "Bounded tables"): the newest are answered at once, the oldest past the window
    /// forgotten, and sent again it runs as new. Without the bound both would be answered.
    @Test func finishedOutboxIDs_areRememberedUpToTheWindow() {
        var s = T.makeState { $0.outboxWindow = 3 }
        _ = s.received(.ready(Ready(capacity: 8, role: .sequencer)), from: T.seq, now: t0)
        _ = s.received(.ready(Ready(capacity: 8, role: .worker)), from: T.w1, now: t0)
        func emit(_ id: UInt64) -> [BrokerState.Action] {
            s.received(.emit(Emission(outboxID: id, key: .chat(Int64(id)), action: .job(name: "n", input: Data()))), from: T.seq, now: t0)
        }
        for id in UInt64(1)...5 {
            for sent in T.jobs(emit(id)) { _ = s.received(.done(jobID: sent.job.id, outcome: .ok, output: Data()), from: T.w1, now: t0) }
        }
        #expect(emit(5) == [.send(peer: T.seq, .emitted(outboxID: 5, outcome: .ok, output: Data()))], "the newest, answered from memory")
        #expect(emit(3) == [.send(peer: T.seq, .emitted(outboxID: 3, outcome: .ok, output: Data()))], "the oldest still in the window")
        let again = T.jobs(emit(2))
        #expect(again.count == 1 && again.first?.job.payload == .outbox(id: 2, .job(name: "n", input: Data())), "forgotten past the window: run as new")
    }
}
