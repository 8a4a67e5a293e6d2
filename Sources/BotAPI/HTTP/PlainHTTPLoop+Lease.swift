import Foundation
import Synchronization

extension PlainHTTPLoop {
    /// Lends the loop to another thread's event loop: the loop's own thread parks, and the
    /// lessee polls `Lease.descriptor` (the loop's epoll set) with its own descriptors and calls
    /// `turn()` when it is readable or `nextDeadline()` has come. For a process whose one
    /// protocol thread is what awaits these answers (ingest's poller on its bus thread): the
    /// answer is then read on that thread and the poller goes on there, where otherwise the
    /// loop's thread woke to read it and woke the bus thread in turn. Returns once the loop's
    /// thread has parked; nil if the loop is lent already or shut down.
    public func lend() -> Lease? {
        let lent = shared.locked { s -> Bool in
            guard s.running, !s.lent else { return false }
            s.lent = true
            return true
        }
        guard lent else { return nil }
        // Out of its epoll wait, parked, before the lessee drives: an answer that came before
        // is read by the loop's own thread, none after (the wait is its round's rest).
        wake()
        parked.wait()
        return Lease(loop: self)
    }

    /// The loop as a lessee drives it; `end()` gives it back to its own thread. Calls made from
    /// any thread while lent work as before: a transfer due sooner than `nextDeadline()` makes
    /// the descriptor readable.
    public final class Lease: Sendable {
        private let loop: PlainHTTPLoop
        private let over = Atomic<Bool>(false)

        init(loop: PlainHTTPLoop) { self.loop = loop }

        /// Readable when the loop has work: an answer, a call handed over that is due sooner, a
        /// cancellation, a shutdown.
        public var descriptor: Int32 { loop.epoll }

        /// When the loop must turn although its descriptor is quiet (the first transfer's
        /// deadline, a second at most); nil before the first turn.
        public func nextDeadline() -> ContinuousClock.Instant? {
            loop.shared.locked { $0.sleepingUntil }
        }

        /// One round without waiting, on the lessee's thread: reads what is ready, ends what is
        /// due, resumes the calls that ended. Nothing once the lease has ended.
        public func turn() {
            guard !over.load(ordering: .acquiring) else { return }
            loop.driver.locked { _ = $0!.step(blocking: false) }
        }

        /// Gives the loop back to its own thread (once; later calls do nothing). Call from the
        /// lessee's thread, not during a `turn()`.
        public func end() {
            guard !over.exchange(true, ordering: .acquiringAndReleasing) else { return }
            loop.shared.locked { $0.lent = false }
            loop.unpark.signal()
        }

        /// Transfers the loop's lessees ended (for tests: the answers read on a lessee's thread).
        var transfersEnded: Int { loop.endedByLessees.load(ordering: .relaxed) }
    }
}
