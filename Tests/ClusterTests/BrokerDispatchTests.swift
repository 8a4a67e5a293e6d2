import BotAPI
import Wire
import Foundation
import Testing
import ArgumentParser
@testable import ClusterRuntime

/// `DispatchPolicy`: which worker a pool job goes to, without sockets or clocks.
@Suite("Broker dispatch")
struct BrokerDispatchTests {
    typealias B = BrokerStateTests
    let t0 = ContinuousClock.now

    static func state(_ policy: DispatchPolicy, capacity: UInt32 = 4, at now: ContinuousClock.Instant) -> BrokerState {
        var s = B.makeState { $0.dispatch = policy }
        _ = s.received(.ready(Ready(capacity: capacity, role: .worker)), from: B.w1, now: now)
        _ = s.received(.ready(Ready(capacity: capacity, role: .worker)), from: B.w2, now: now)
        return s
    }

    static func peers(_ actions: [BrokerState.Action]) -> [PeerID] {
        B.jobs(actions).map(\.peer)
    }

    /// Packed fills the first worker to its credit before the next gets any; spread alternates.
    @Test func packed_fillsTheFirstWorkerFirst_spreadTakesTurns() {
        let batch = (1...6).map { B.update($0, chat: $0) }
        var packed = Self.state(.packed, at: t0)
        #expect(Self.peers(packed.updates(1, batch, from: B.ingest, now: t0)) == [B.w1, B.w1, B.w1, B.w1, B.w2, B.w2])
        var spread = Self.state(.spread, at: t0)
        #expect(Self.peers(spread.updates(1, batch, from: B.ingest, now: t0)) == [B.w1, B.w2, B.w1, B.w2, B.w1, B.w2])
    }

    /// One chat's updates one after another: packed keeps them on the worker that finished the
    /// last, spread moves each to the other worker (what the remote-hosts flood test relies on).
    @Test func aChatsNextJob_staysPacked_orMovesWhenSpread() {
        for (policy, expected) in [(DispatchPolicy.packed, [B.w1, B.w1, B.w1]), (.spread, [B.w1, B.w2, B.w1])] {
            var s = Self.state(policy, at: t0)
            var sent = B.jobs(s.updates(1, (1...3).map { B.update($0, chat: 7) }, from: B.ingest, now: t0))
            var peers = sent.map(\.peer)
            while peers.count < 3, let last = sent.last {
                sent = B.jobs(s.received(.done(jobID: last.job.id, outcome: .ok, output: Data()), from: last.peer, now: t0))
                peers += sent.map(\.peer)
            }
            #expect(peers == expected, "\(policy)")
        }
    }

    /// A worker whose jobs have not moved for `stallAfter` (a handler computing on its thread)
    /// is passed over while another has a free slot; a DONE or a LEND from it makes it the
    /// first again; with no other slot free it still gets work. Without the rule every job
    /// here goes to w1 (tried).
    @Test func packed_passesOverAStalledWorker_untilItMovesAgain() {
        var s = Self.state(.packed, at: t0)
        let patience = s.configuration.stallAfter
        let first = B.jobs(s.updates(1, [B.update(1, chat: 1)], from: B.ingest, now: t0))
        #expect(first.map(\.peer) == [B.w1])
        // Within the patience: still w1.
        #expect(Self.peers(s.updates(2, [B.update(2, chat: 2)], from: B.ingest, now: t0 + patience / 2)) == [B.w1])
        // Past it, nothing finished: w2, as long as w2 has slots.
        let late = t0 + patience + .milliseconds(1)
        #expect(Self.peers(s.updates(3, (3...7).map { B.update($0, chat: $0) }, from: B.ingest, now: late)) == [B.w2, B.w2, B.w2, B.w2, B.w1])
        // w1 finishes a job: it is the first choice again.
        _ = s.received(.done(jobID: first[0].job.id, outcome: .ok, output: Data()), from: B.w1, now: late)
        #expect(Self.peers(s.updates(4, [B.update(8, chat: 8)], from: B.ingest, now: late + .milliseconds(1))) == [B.w1])
    }

    /// A LEND (a job waiting for its flood budget gives its slot back) shows the worker's jobs
    /// are moving: it stays the first choice.
    @Test func packed_aLendIsProgress() {
        var s = Self.state(.packed, at: t0)
        #expect(Self.peers(s.updates(1, [B.update(1, chat: 1)], from: B.ingest, now: t0)) == [B.w1])
        let late = t0 + s.configuration.stallAfter + .milliseconds(1)
        var quiet = s
        #expect(Self.peers(quiet.updates(2, [B.update(2, chat: 2)], from: B.ingest, now: late)) == [B.w2])
        _ = s.received(.lend, from: B.w1, now: late)
        #expect(Self.peers(s.updates(2, [B.update(2, chat: 2)], from: B.ingest, now: late)) == [B.w1])
    }

    /// `--dispatch` and `TGCLUSTER_DISPATCH`: packed by default, a flag forwarded to the
    /// children, a name it does not know refused with the two it does.
    @Test func theFlag_defaultsToPacked_andRefusesAnUnknownName() throws {
        #expect(try CommonOptions.parse([]).configuration().dispatch == .packed)
        let spread = try CommonOptions.parse(["--dispatch", "spread"])
        #expect(try spread.configuration().dispatch == .spread)
        #expect(spread.forwarded.contains("spread"))
        let error = #expect(throws: ValidationError.self) { try CommonOptions.parse(["--dispatch", "roundrobin"]).configuration() }
        #expect(error?.message.contains("packed or spread") == true)
    }
}
