import Testing
import Wire
@testable import ClusterRuntime

/// The table of batches an ingest link waits on, without sockets: every waiter resumed once,
/// by its answer, its deadline or the close; nothing kept after the close.
@Suite("BatchWaiters")
struct BatchWaitersTests {
    /// Runs `body` with a waiter whose answer it returns (the waiter must be resumed by `body`).
    private func answer(_ body: (BatchWaiters.Waiter) -> Void) async -> Frame? {
        await withCheckedContinuation { body($0) }
    }

    @Test func ids_countFromOne() {
        var table = BatchWaiters()
        let ids = [table.takeID(), table.takeID(), table.takeID()]
        #expect(ids == [1, 2, 3])
    }

    @Test func anAnswer_goesToItsBatchOnce() async {
        var table = BatchWaiters()
        let frame = await answer { waiter in
            let kept = table.wait(1, waiter)
            let stranger = table.answer(2)
            table.answer(1)?.resume(returning: .ack(batch: 1))
            let again = table.answer(1)
            #expect(kept)
            #expect(stranger == nil, "no batch 2 waits")
            #expect(again == nil, "answered twice")
        }
        #expect(frame == .ack(batch: 1))
    }

    @Test func onlyDeadlinesThatCame_expire() async {
        var table = BatchWaiters()
        let now = ContinuousClock.now
        let frames = await answer { early in
            let kept = table.wait(1, early, until: now)
            let tooSoon = table.expire(now: now - .seconds(1))
            let expired = table.expire(now: now)
            #expect(kept)
            #expect(tooSoon.isEmpty, "expired before its deadline")
            #expect(expired.count == 1)
            for waiter in expired { waiter.resume(returning: nil) }
        }
        #expect(frames == nil)
        let late = await answer { waiter in
            let kept = table.wait(2, waiter)  // no deadline: the in-process link's
            let expired = table.expire(now: now + .seconds(3600))
            table.answer(2)?.resume(returning: .ack(batch: 2))
            #expect(kept)
            #expect(expired.isEmpty)
        }
        #expect(late == .ack(batch: 2))
    }

    @Test func close_handsBackEveryWaiter_andRefusesLaterOnes() async {
        var table = BatchWaiters()
        let first = await answer { waiter in
            let waits = table.wait(1, waiter, until: .now + .seconds(60))
            let kept = table.close()
            #expect(waits)
            #expect(kept.count == 1)
            for w in kept { w.resume(returning: nil) }
        }
        #expect(first == nil)
        #expect(table.isClosed)
        let refused = await answer { waiter in
            let waits = table.wait(2, waiter)
            waiter.resume(returning: nil)
            #expect(!waits, "a batch taken after the close")
        }
        #expect(refused == nil)
        let second = table.close()
        #expect(second.isEmpty)
    }
}
