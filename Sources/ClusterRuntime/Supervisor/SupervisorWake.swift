import Foundation
import Synchronization

/// What the supervisor's loop waits on between its turns: a deadline (the next restart, status
/// write or service-manager message that is due) or a word from elsewhere (`post`: a child
/// ended, a control request, a stop), whichever comes first. A word posted while the loop is
/// busy is kept for its next wait, so that none is missed between the loop's look and its wait.
final class SupervisorWake: Sendable {
    private struct State {
        var posted = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Which wait a deadline belongs to: a deadline of an earlier wait (its timer cannot be
        /// taken back) ends nothing.
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Ends the current wait, or the next one at once. True when a wait was parked and this
    /// ended it (the tests tell a wait that missed its deadline from one merely resumed late).
    @discardableResult
    func post() -> Bool {
        post(generation: nil)
    }

    /// Waits until `deadline` or a `post`, whichever comes first.
    func wait(until deadline: ContinuousClock.Instant) async {
        let generation = state.withLock { s -> UInt64 in
            s.generation += 1
            return s.generation
        }
        guard deadline > .now else { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.posted {
                    s.posted = false
                    return true
                }
                s.waiter = c
                return false
            }
            if now {
                c.resume()
                return
            }
            // The timer is armed once the wait is parked: armed before, a short deadline (or a
            // thread preempted between the two) fired it while no one waited, and it was lost;
            // the loop then slept until the next word (CI: no watchdog ping for 3 s).
            let delay = max(.zero, deadline - .now)
            DispatchQueue.global().asyncAfter(deadline: .now() + delay.seconds) { [self] in post(generation: generation) }
        }
    }

    @discardableResult
    private func post(generation: UInt64?) -> Bool {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let generation, generation != s.generation { return nil }
            guard let w = s.waiter else {
                if generation == nil { s.posted = true }
                return nil
            }
            s.waiter = nil
            return w
        }
        waiter?.resume()
        return waiter != nil
    }
}
