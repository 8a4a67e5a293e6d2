import Testing
import Wire
@testable import ClusterRuntime

/// The table of batches an ingest link waits on, without sockets: every waiter resumed once,
/// by its answer, its deadline or the close; nothing kept after the close.
@Suite("BatchWaiters")
struct BatchWaitersTests {
    /// Hands `table` a waiter of the test's own for `batch`, then runs `body`; what the waiter
    /// heard, and whether the table kept it. A waiter left unresumed hears `.heartbeat` (one
    /// the table refused, or one it still holds after `body`), so a wrong table fails an
    /// expectation instead of leaving the test waiting forever.
    private func heard(_ table: inout BatchWaiters, batch: UInt64, until deadline: ContinuousClock.Instant? = nil,
                       then body: (inout BatchWaiters) -> Void = { _ in }) async -> (kept: Bool, frame: Frame?) {
        var kept = false
        let frame = await withCheckedContinuation { (waiter: BatchWaiters.Waiter) in
            kept = table.wait(batch, waiter, until: deadline)
            guard kept else { return waiter.resume(returning: .heartbeat) }
            body(&table)
            table.answer(batch)?.resume(returning: .heartbeat)
        }
        return (kept, frame)
    }

    @Test func ids_countFromOne() {
        var table = BatchWaiters()
        let ids = [table.takeID(), table.takeID(), table.takeID()]
        #expect(ids == [1, 2, 3])
    }

    @Test func anAnswer_goesToItsBatchOnce() async {
        var table = BatchWaiters()
        var stranger = false, twice = false
        let one = await heard(&table, batch: 1) { t in
            stranger = t.answer(2) != nil
            t.answer(1)?.resume(returning: .ack(batch: 1))
            twice = t.answer(1) != nil
        }
        #expect(one.kept && one.frame == .ack(batch: 1))
        #expect(!stranger, "no batch 2 waits")
        #expect(!twice, "answered twice")
    }

    @Test func onlyDeadlinesThatCame_expire() async {
        var table = BatchWaiters()
        let now = ContinuousClock.now
        var tooSoon = -1, due = -1
        let early = await heard(&table, batch: 1, until: now) { t in
            let soon = t.expire(now: now - .seconds(1))
            for waiter in soon { waiter.resume(returning: .heartbeat) }
            let expired = t.expire(now: now)
            for waiter in expired { waiter.resume(returning: nil) }
            (tooSoon, due) = (soon.count, expired.count)
        }
        #expect(early.kept && early.frame == nil)
        #expect(tooSoon == 0, "expired before its deadline")
        #expect(due == 1)
        var expiredWithoutDeadline = -1
        // No deadline (the in-process link's): never expires.
        let late = await heard(&table, batch: 2) { t in
            let expired = t.expire(now: now + .seconds(3600))
            for waiter in expired { waiter.resume(returning: .heartbeat) }
            expiredWithoutDeadline = expired.count
            t.answer(2)?.resume(returning: .ack(batch: 2))
        }
        #expect(late.kept && late.frame == .ack(batch: 2))
        #expect(expiredWithoutDeadline == 0)
    }

    @Test func close_handsBackEveryWaiter_andRefusesLaterOnes() async {
        var table = BatchWaiters()
        var handedBack = -1
        let first = await heard(&table, batch: 1, until: .now + .seconds(60)) { t in
            let kept = t.close()
            for waiter in kept { waiter.resume(returning: nil) }
            handedBack = kept.count
        }
        #expect(first.kept && first.frame == nil)
        #expect(handedBack == 1)
        #expect(table.isClosed)
        let refused = await heard(&table, batch: 2)
        #expect(!refused.kept, "a batch taken after the close")
        let second = table.close()
        #expect(second.isEmpty)
    }
}
