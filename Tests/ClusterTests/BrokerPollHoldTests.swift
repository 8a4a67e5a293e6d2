import Foundation
import Testing
import Wire
@testable import ClusterRuntime

/// A full getUpdates page holds the broker's work back until ingest's POLLING: the poll cycle,
/// which caps the cluster at a real distance to Telegram, gets the cores before the batch's
/// replies take them. `BrokerStateTests`' helpers.
@Suite("BrokerState: poll hold")
struct BrokerPollHoldTests {
    typealias T = BrokerStateTests
    let t0 = ContinuousClock.now

    @Test func aFullPagesWork_waitsForIngestsPolling_andGoesOutThen() {
        var s = T.makeState()
        _ = s.received(.ready(Ready(capacity: 10, role: .worker)), from: T.w1, now: t0)
        let accepted = s.updates(1, (1...4).map { T.update($0, chat: $0) }, from: T.ingest, holdJobs: true, now: t0)
        #expect(accepted.first == .answerIngest(peer: T.ingest, .ack(batch: 1)), "the ACK is not held")
        #expect(T.jobs(accepted).isEmpty, "the batch's jobs wait for POLLING")
        // Another event meanwhile hands nothing out either (a DONE, a lent slot).
        #expect(T.jobs(s.received(.lend, from: T.w1, now: t0 + .milliseconds(1))).isEmpty)
        #expect(T.jobs(s.polling(2, now: t0 + .milliseconds(2))).isEmpty, "POLLING for another batch releases nothing")
        let released = T.jobs(s.polling(1, now: t0 + .milliseconds(2)))
        #expect(released.map { T.updateID($0.job) } == [1, 2, 3, 4])
        #expect(s.counters.pollHolds == 1 && s.counters.pollHoldsExpired == 0)
    }

    /// Ingest stopped between the ACK and its next poll: the work goes out after `pollHold`, on
    /// the next event past it (the loop's tick at the latest).
    @Test func withoutPolling_theWorkGoesOutAfterThePollHold() {
        var s = T.makeState { $0.pollHold = .milliseconds(20) }
        _ = s.received(.ready(Ready(capacity: 10, role: .worker)), from: T.w1, now: t0)
        #expect(T.jobs(s.updates(1, [T.update(1, chat: 1)], from: T.ingest, holdJobs: true, now: t0)).isEmpty)
        #expect(T.jobs(s.tick(now: t0 + .milliseconds(10))).isEmpty)
        #expect(T.jobs(s.tick(now: t0 + .milliseconds(21))).count == 1)
        #expect(s.counters.pollHoldsExpired == 1)
        // A late POLLING finds nothing held.
        #expect(s.polling(1, now: t0 + .milliseconds(22)).isEmpty)
    }

    /// A batch that did not fill its page (light load, a webhook) is not held: its jobs leave
    /// with its ACK, as before.
    @Test func aBatchWithoutTheFlag_isNotHeld() {
        var s = T.makeState()
        _ = s.received(.ready(Ready(capacity: 10, role: .worker)), from: T.w1, now: t0)
        #expect(T.jobs(s.updates(1, [T.update(1, chat: 1)], from: T.ingest, now: t0)).count == 1)
        #expect(s.counters.pollHolds == 0)
    }
}

extension BrokerPollHoldTests {
    /// Work already waiting for a slot means the workers, not the poll cycle, limit the
    /// cluster: a full page then holds nothing (a hold would only idle them).
    @Test func withWorkAlreadyWaiting_aFullPageHoldsNothing() {
        var s = T.makeState()
        _ = s.received(.ready(Ready(capacity: 1, role: .worker)), from: T.w1, now: t0)
        _ = s.updates(1, [T.update(1, chat: 1), T.update(2, chat: 2)], from: T.ingest, now: t0)
        #expect(s.queued == 1, "one job in flight, one waiting")
        _ = s.updates(2, [T.update(3, chat: 3)], from: T.ingest, holdJobs: true, now: t0)
        #expect(s.counters.pollHolds == 0)
        // The slot frees: the next job goes at once, no POLLING needed.
        let next = T.jobs(s.received(.done(jobID: 1, outcome: .ok, output: Data()), from: T.w1, now: t0))
        #expect(next.count == 1)
    }
}
