import BotAPI
import Foundation
import Testing
import Wire
@testable import ClusterRuntime

/// A two-step handler in the broker (issue 16, item 6): the first step's result goes to the
/// sequencer as the same job's second step, the chat waits for it, the update completes once.
@Suite("Two-step handlers in the broker")
struct TwoStepBrokerTests {
    typealias T = BrokerStateTests
    let t0 = ContinuousClock.now

    /// Handler 0, two-step, for "/buy"; handler 1, one-step, for everything else. With
    /// `twoStep: false` the broker is told the handler is one-step (the failing variant).
    static func makeState(twoStep: Bool = true) -> BrokerState {
        var c = BrokerState.Configuration()
        c.heartbeatInterval = .seconds(1)
        c.liveness = 3
        return BrokerState(configuration: c) { e in
            (e.raw.text ?? "").hasPrefix("/buy") ? .init(handler: 0, serial: false, ordered: true, applies: twoStep)
                : .init(handler: 1, serial: false, ordered: true)
        }
    }

    mutating func started(_ s: inout BrokerState) {
        _ = s.received(.ready(Ready(capacity: 8, role: .worker)), from: T.w1, now: t0)
        _ = s.received(.ready(Ready(capacity: 8, role: .sequencer)), from: T.seq, now: t0)
    }

    static func completed(_ actions: [BrokerState.Action]) -> [Int64] {
        actions.compactMap { if case .completed(let id) = $0 { return id }; return nil }
    }

    @Test mutating func theResult_goesToTheSequencer_andTheChatWaitsForItsCommit() {
        var s = Self.makeState()
        started(&s)
        let first = T.jobs(s.updates(1, [T.update(1, chat: 7, text: "/buy 3"), T.update(2, chat: 7, text: "/balance")],
                                     from: T.ingest, now: t0))
        #expect(first.map(\.peer) == [T.w1])
        let buy = first[0].job
        // The first step's DONE: no completion, the second step goes to the sequencer with the
        // result, and the chat's next update still waits.
        let afterPrepare = s.received(.done(jobID: buy.id, outcome: .ok, output: Data("12.5".utf8)), from: T.w1, now: t0)
        #expect(Self.completed(afterPrepare).isEmpty)
        let toSequencer = T.jobs(afterPrepare)
        #expect(toSequencer.count == 1)
        #expect(toSequencer[0].peer == T.seq)
        #expect(toSequencer[0].job.payload == .apply(handler: 0, T.update(1, chat: 7, text: "/buy 3"), result: Data("12.5".utf8)))
        #expect(toSequencer[0].job.attempt == 1)
        // The commit: its reply (EMIT, before DONE) waits for the key; the update completes
        // once; the reply goes first, and only then the chat's next update.
        let reply = OutboxAction.call(method: "sendMessage", parameters: Data(#"{"chat_id":7,"text":"bought"}"#.utf8), updateID: nil)
        #expect(T.jobs(s.received(.emit(Emission(outboxID: 1, key: .chat(7), action: reply)), from: T.seq, now: t0)).isEmpty)
        let afterApply = s.received(.done(jobID: toSequencer[0].job.id, outcome: .ok, output: Data()), from: T.seq, now: t0)
        #expect(Self.completed(afterApply) == [1])
        let replyJob = T.jobs(afterApply)
        #expect(replyJob.map(\.job.payload) == [.outbox(id: 1, reply)])
        #expect(s.counters.updatesCompleted == 1)
        let afterReply = s.received(.done(jobID: replyJob[0].job.id, outcome: .ok, output: Data()), from: T.w1, now: t0)
        #expect(T.jobs(afterReply).compactMap { T.updateID($0.job) } == [2])
    }

    @Test mutating func withoutTheSecondStep_theChatMovesOnAtOnce() {
        // The failing variant: a broker that takes the handler for a one-step one completes the
        // update at the first DONE and lets the chat's next update overtake the second step.
        var s = Self.makeState(twoStep: false)
        started(&s)
        let first = T.jobs(s.updates(1, [T.update(1, chat: 7, text: "/buy 3"), T.update(2, chat: 7, text: "/balance")],
                                     from: T.ingest, now: t0))
        let after = s.received(.done(jobID: first[0].job.id, outcome: .ok, output: Data("12.5".utf8)), from: T.w1, now: t0)
        #expect(Self.completed(after) == [1])
        #expect(T.jobs(after).compactMap { T.updateID($0.job) } == [2])
    }

    @Test mutating func aFailedOrStoppedFirstStep_completesTheUpdateThere() {
        var s = Self.makeState()
        started(&s)
        let sent = T.jobs(s.updates(1, [T.update(1, chat: 7, text: "/buy"), T.update(2, chat: 8, text: "/buy")], from: T.ingest, now: t0))
        let failed = s.received(.done(jobID: sent[0].job.id, outcome: .failed, output: Data("no price".utf8)), from: T.w1, now: t0)
        #expect(Self.completed(failed) == [1])
        #expect(T.jobs(failed).isEmpty)
        // An empty result: a middleware stopped it, there is nothing to apply.
        let stopped = s.received(.done(jobID: sent[1].job.id, outcome: .ok, output: Data()), from: T.w1, now: t0)
        #expect(Self.completed(stopped) == [2])
        #expect(T.jobs(stopped).isEmpty)
    }

    @Test mutating func aWorkerDyingInTheFirstStep_runsItAgain_andTheSecondOnce() {
        var s = Self.makeState()
        started(&s)
        let first = T.jobs(s.updates(1, [T.update(1, chat: 7, text: "/buy")], from: T.ingest, now: t0))
        _ = s.received(.ready(Ready(capacity: 8, role: .worker)), from: T.w2, now: t0 + .seconds(2))
        _ = s.received(.heartbeat, from: T.seq, now: t0 + .seconds(4))
        _ = s.received(.heartbeat, from: T.w2, now: t0 + .seconds(4))
        let again = T.jobs(s.tick(now: t0 + .milliseconds(4500)))
        #expect(again.map(\.peer) == [T.w2])
        #expect(again[0].job.attempt == 2 && again[0].job.id == first[0].job.id)
        // The dead worker's late DONE is not taken; the new one's is, once.
        #expect(T.jobs(s.received(.done(jobID: first[0].job.id, outcome: .ok, output: Data("1".utf8)), from: T.w1, now: t0 + .seconds(5))).isEmpty)
        let toSequencer = T.jobs(s.received(.done(jobID: again[0].job.id, outcome: .ok, output: Data("2".utf8)), from: T.w2,
                                            now: t0 + .seconds(5)))
        #expect(toSequencer.map(\.peer) == [T.seq])
        #expect(toSequencer[0].job.attempt == 1)
        if case .apply(_, _, let result) = toSequencer[0].job.payload { #expect(result == Data("2".utf8)) } else { Issue.record("not an apply job") }
    }

    @Test mutating func theSequencerDyingInTheSecondStep_sendsItAgain_andTheChatStillWaits() {
        var s = Self.makeState()
        started(&s)
        let first = T.jobs(s.updates(1, [T.update(1, chat: 7, text: "/buy"), T.update(2, chat: 7)], from: T.ingest, now: t0))
        let apply = T.jobs(s.received(.done(jobID: first[0].job.id, outcome: .ok, output: Data("1".utf8)), from: T.w1, now: t0))
        let seq2 = PeerID("seq2")
        _ = s.received(.heartbeat, from: T.w1, now: t0 + .seconds(4))
        let resent = T.jobs(s.received(.ready(Ready(capacity: 8, role: .sequencer)), from: seq2, now: t0 + .seconds(4)))
        #expect(resent.map(\.peer) == [seq2])
        #expect(resent[0].job.id == apply[0].job.id && resent[0].job.attempt == 2)
        let done = s.received(.done(jobID: apply[0].job.id, outcome: .ok, output: Data()), from: seq2, now: t0 + .seconds(4))
        #expect(Self.completed(done) == [1])
        #expect(T.jobs(done).compactMap { T.updateID($0.job) } == [2])
    }
}
