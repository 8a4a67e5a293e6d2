import BotAPI
import Foundation
import Testing
import Wire
@testable import ClusterRuntime

/// A new broker and the workers of the old one (issue 17): recovered updates wait for the
/// workers' HANDOVER; the finished ones are not run again, the running ones are adopted.
@Suite("BrokerState: handover")
struct BrokerHandoverTests {
    typealias T = BrokerStateTests
    let t0 = ContinuousClock.now

    /// Updates 1 (chat 7), 2 and 3 (chat 8), 4 (chat 9) recovered; w1 finished 1 and runs 2
    /// under the old broker's job 900; nothing else accounts for 3 and 4.
    func recovered() -> (BrokerState, [BrokerState.Action]) {
        var s = T.makeState { $0.firstJobID = 1_000; $0.handoverWait = .seconds(2) }
        var actions = s.recover(unfinished: [T.update(1, chat: 7), T.update(2, chat: 8), T.update(3, chat: 8), T.update(4, chat: 9)],
                                seen: [1, 2, 3, 4], now: t0)
        actions += s.received(.ready(Ready(capacity: 10, role: .worker)), from: T.w1, now: t0)
        actions += s.received(.ready(Ready(capacity: 10, role: .worker)), from: T.w2, now: t0)
        return (s, actions)
    }

    @Test func finishedUpdates_areNotRunAgain_runningOnesAreAdopted_theRestRunAfterTheWait() {
        var (s, actions) = recovered()
        #expect(T.jobs(actions).isEmpty, "nothing goes before the handover wait is over")
        actions = s.received(.handover(Handover(running: [.init(jobID: 900, updateID: 2)], finished: [1, 77])), from: T.w1, now: t0)
        #expect(actions == [.completed(updateID: 1)])
        #expect(s.counters.handedOverFinished == 1 && s.counters.handedOverRunning == 1)
        var now = t0
        let later = T.passTime(&s, &now, .seconds(3))
        #expect(T.jobs(later).map { T.updateID($0.job) } == [4], "chat 8's next update waits for the adopted one")
        #expect(later.contains(.handoverOver(finishedElsewhere: 1, adopted: 1, toRun: 2)))
        let done = s.received(.done(jobID: 900, outcome: .ok, output: Data()), from: T.w1, now: now)
        #expect(done.contains(.completed(updateID: 2)))
        #expect(T.jobs(done).map { T.updateID($0.job) } == [3], "then chat 8 goes on, in order")
        #expect(T.jobs(done).allSatisfy { $0.job.id >= 1_000 }, "new ids never meet the old broker's")
    }

    @Test func withoutAHandover_everythingRecoveredRunsAgain_afterTheWait() {
        var (s, _) = recovered()
        var now = t0
        let later = T.passTime(&s, &now, .seconds(3))
        #expect(Set(T.jobs(later).compactMap { T.updateID($0.job) }) == [1, 2, 4], "chat 8's second waits for its first")
        #expect(later.contains(.handoverOver(finishedElsewhere: 0, adopted: 0, toRun: 4)))
    }

    @Test func aHandoverAfterTheWait_changesNothing() {
        var (s, _) = recovered()
        var now = t0
        _ = T.passTime(&s, &now, .seconds(3))
        #expect(s.received(.handover(Handover(running: [], finished: [1, 2, 3, 4])), from: T.w1, now: now).isEmpty)
        #expect(s.pending == 4, "three in flight, one queued: all of them still held")
    }

    @Test func ledger_keepsWhatRuns_andABoundedWindowOfWhatFinished() {
        var ledger = WorkerLedger()
        #expect(ledger.handover == nil)
        for id in 1...(WorkerLedger.finishedWindow + 10) {
            let job = Job(id: UInt64(id), attempt: 1, payload: .update(handler: 0, T.update(Int64(id), chat: 1)))
            ledger.started(job.id, updateID: job.updateID)
            if id > 2 { ledger.finished(UInt64(id)) }
        }
        let named = Job(id: 99_999, attempt: 1, payload: .task(name: "x", input: Data()))
        ledger.started(named.id, updateID: named.updateID)
        let handover = ledger.handover
        #expect(handover?.running == [.init(jobID: 1, updateID: 1), .init(jobID: 2, updateID: 2)], "named jobs are not updates")
        #expect(handover?.finished.count == WorkerLedger.finishedWindow)
        #expect(handover?.finished.last == Int64(WorkerLedger.finishedWindow + 10))
    }
}
