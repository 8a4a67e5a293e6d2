import BotAPI
import ClusterRuntime
import Foundation
import Wire

/// The broker's state machine alone, as its bus thread runs it but without sockets, journal or
/// frames: batches of 100 updates (`fresh`, then `updates`), each followed by the DONEs of 100
/// jobs in flight, with four workers of 256 slots; then the rest drained. And a backlog: 20,000
/// updates over 20,000 chats admitted before the first DONE (every slot taken, a chat's queue
/// ready for each), as after a burst or a restart. CPU time of this thread per update, median
/// of 5 rounds: a figure a change to `BrokerState` moves, far steadier than a whole cluster's
/// CPU on this machine.
///
/// The route is echobot's (`.plainText`, as the filter reads it: the text's first bytes); the
/// 500-chat line is repeated with the route decoding the text per update, as the filter did
/// before, for the ratio in the same run.
enum BrokerBenchmark {
    static func run() {
        print("broker: BrokerState alone, 100,000 updates in batches of 100, 4 workers × 256 slots, echobot's route (.plainText); CPU ns per update (5 rounds, median)")
        for (chats, decoding) in [(500, false), (500, true), (100_000, false)] {
            var rounds: [Double] = []
            for _ in 0..<5 { rounds.append(round(updates: 100_000, chats: chats, decodingText: decoding)) }
            rounds.sort()
            let label = "\(lpad("\(chats)", 7)) chats\(decoding ? ", text decoded" : "")"
            print("  \(label): \(lpad(fixed(rounds[2], 0), 6)) ns/update   (rounds: \(rounds.map { fixed($0, 0) }.joined(separator: ", ")))")
        }
        var rounds: [Double] = []
        for _ in 0..<5 { rounds.append(round(updates: 20_000, chats: 20_000, backlog: true)) }
        rounds.sort()
        print("  backlog, 20,000 chats: \(lpad(fixed(rounds[2], 0), 6)) ns/update   (rounds: \(rounds.map { fixed($0, 0) }.joined(separator: ", ")))")
    }

    /// One round; CPU ns per update.
    static func round(updates: Int, chats: Int, backlog: Bool = false, decodingText: Bool = false) -> Double {
        // Echobot's table, in effect: one handler for text messages that are not commands.
        var state = BrokerState(configuration: .init()) { e in
            let plain = decodingText ? e.raw.text.map { !$0.hasPrefix("/") } : e.raw.text(hasPrefix: "/").map { !$0 }
            return plain == true ? .init(handler: 0, serial: false, ordered: true) : nil
        }
        let now = ContinuousClock.now
        let workers = (1...4).map { PeerID("worker-\($0)") }
        var inFlight: [(peer: PeerID, id: UInt64)] = []
        var next = 0
        func note(_ actions: [BrokerState.Action]) {
            for case .send(let peer, .job(let job)) in actions { inFlight.append((peer, job.id)) }
        }
        /// The oldest job in flight finishes (and what its slot lets go is noted).
        func finishNext() {
            let (peer, id) = inFlight[next]
            next += 1
            note(state.received(.done(jobID: id, outcome: .ok, output: Data()), from: peer, now: now))
        }
        for w in workers { note(state.received(.ready(Ready(capacity: 256, role: .worker)), from: w, now: now)) }
        let batches = (0..<(updates / 100)).map { b in
            (0..<100).map { i -> UpdateEnvelope in
                let id = Int64(b * 100 + i + 1)
                let chat = Int64(id % Int64(chats)) + 1
                let json = #"{"update_id":\#(id),"message":{"message_id":\#(id),"from":{"id":\#(chat),"is_bot":false,"first_name":"A"},"chat":{"id":\#(chat),"type":"private"},"date":1,"text":"hello there"}}"#
                return UpdateEnvelope(updateID: id, kind: .message, routingKey: .chat(chat), bytes: Data(json.utf8))
            }
        }
        let ingest = PeerID("ingest")
        let started = threadCPU()
        for (b, batch) in batches.enumerated() {
            _ = state.fresh(batch)
            note(state.updates(UInt64(b + 1), batch, from: ingest, now: now))
            for _ in 0..<(backlog ? 0 : 100) where next < inFlight.count { finishNext() }
        }
        while next < inFlight.count { finishNext() }
        let spent = threadCPU() - started
        precondition(state.pending == 0 && next == updates, "the benchmark lost jobs: \(state.pending) held, \(next) done")
        return spent / Double(updates)
    }

    /// This thread's CPU time, ns.
    static func threadCPU() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
    }
}
