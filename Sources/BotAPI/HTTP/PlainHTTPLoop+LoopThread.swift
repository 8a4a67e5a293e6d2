internal import CEpollShims
import Foundation
import Synchronization

extension PlainHTTPLoop {
    /// What only the thread driving the loop touches (its own thread, or a lessee's, one at a
    /// time under `driver`'s lock): the transfers it owns, by id, and when the first of them is due.
    struct LoopThread {
        /// Unowned: the loop holds this state (`driver`), so it outlives it.
        unowned let owner: PlainHTTPLoop
        var transfers: [PlainHTTPTransferID: PlainHTTPTransfer] = [:]
        /// No transfer is due before this (it may be earlier than the first one due: waking
        /// early only costs a look).
        var earliest: ContinuousClock.Instant?
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        /// Connections whose answer was read, for the pool, and the calls to resume after.
        var returning: [PlainHTTPConnection] = []
        var ended: [(PlainHTTPTransfer, Result<HTTPResponse, any Error>)] = []
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)

        init(owner: PlainHTTPLoop) { self.owner = owner }

        /// The step running is a lessee's (`Lease.turn`).
        private var lessee = false
        /// Set by `shutDown`: every later step is a no-op.
        var closed = false

        /// One round: what was handed over is taken, the loop waits on its epoll set (its own
        /// thread: until an event or the first deadline; a lessee: not at all, its own poll
        /// having said the set is ready or its deadline come), handles the events and ends what
        /// is past its deadline. A lessee's round then resumes the calls it ended at once (the
        /// loop thread's next round does that for it). False once the loop is shut down.
        mutating func step(blocking: Bool) -> Bool {
            guard !closed else { return false }
            lessee = !blocking
            let now = ContinuousClock.now
            let (running, until) = settle(now: now)
            if !running { return false }
            var timeout: Int32 = 0
            if blocking {
                let wait = until - now
                let whole = wait.milliseconds
                timeout = Int32(clamping: max(0, .milliseconds(whole) < wait ? whole + 1 : whole))
            }
            let n = epoll_wait(owner.epoll, &events, Int32(events.count), timeout)
            cancel(owner.shared.locked { s in
                s.sleepingUntil = nil
                return adopt(&s)
            })
            let woke = ContinuousClock.now
            for i in 0..<max(0, Int(n)) {
                let id = events[i].data.u64
                if id == 0 {
                    var value: UInt64 = 0
                    _ = read(owner.wakeFD, &value, 8)
                } else if let transfer = transfers[PlainHTTPTransferID(id)] {
                    handle(transfer, transfer.advance(scratch: scratch, now: woke), now: woke)
                }
            }
            if let due = earliest, woke >= due { expire(now: woke) }
            if !blocking { _ = settle(now: woke) }
            return true
        }

        /// One lock per round: the connections of the answers read go back to the pool, the
        /// transfers handed over come in, and when the loop next looks is published (callers
        /// with a transfer due sooner wake it); then the cancelled calls end and the ended ones
        /// resume, after their connections went back to the pool.
        mutating func settle(now: ContinuousClock.Instant) -> (running: Bool, until: ContinuousClock.Instant) {
            let (running, cancels, until) = owner.shared.locked { s in
                returnConnections(&s)
                let cancels = adopt(&s)
                // At most a second: nothing else is due (callers check the idle pool's ages).
                let until = min(earliest ?? now + .seconds(1), now + .seconds(1))
                s.sleepingUntil = until
                return (s.running, cancels, until)
            }
            cancel(cancels)
            resumeEnded()
            return (running, until)
        }

        /// Puts the connections of the answers read back in the idle pool (under the lock);
        /// past the pool's bound they are closed.
        mutating func returnConnections(_ s: inout Shared) {
            for connection in returning where !s.putIdle(connection, max: owner.configuration.maxIdleConnections) {
                connection.close()
            }
            returning.removeAll(keepingCapacity: true)
        }

        /// Resumes the calls that ended, after their connections went back to the pool: a
        /// caller that sends again at once finds its connection there.
        mutating func resumeEnded() {
            for (transfer, result) in ended { transfer.continuation.resume(with: result) }
            ended.removeAll(keepingCapacity: true)
        }

        /// Takes the transfers handed over and the cancellations (under the lock).
        mutating func adopt(_ s: inout Shared) -> [UInt64] {
            for transfer in s.handoff {
                transfers[PlainHTTPTransferID(transfer.id)] = transfer
                earliest = min(earliest ?? transfer.nextDeadline, transfer.nextDeadline)
            }
            s.handoff.removeAll(keepingCapacity: true)
            defer { s.cancelled.removeAll(keepingCapacity: true) }
            return s.cancelled
        }

        mutating func cancel(_ ids: [UInt64]) {
            for id in ids {
                if let transfer = transfers[PlainHTTPTransferID(id)] { end(transfer, .failure(CancellationError())) }
            }
        }

        /// Fails the transfers past their deadline.
        mutating func expire(now: ContinuousClock.Instant) {
            earliest = nil
            for transfer in Array(transfers.values) {
                if now >= transfer.nextDeadline {
                    end(transfer, .failure(transfer.timeoutError()))
                } else {
                    earliest = min(earliest ?? transfer.nextDeadline, transfer.nextDeadline)
                }
            }
        }

        mutating func handle(_ transfer: PlainHTTPTransfer, _ step: PlainHTTPTransfer.Step, now: ContinuousClock.Instant) {
            var step = step
            if case .retry = step {
                step = transfer.reconnect(now: now)
                earliest = min(earliest ?? transfer.nextDeadline, transfer.nextDeadline)
            }
            switch step {
            case .wait(let interest):
                if !owner.arm(transfer.connection, interest, id: transfer.id) {
                    end(transfer, .failure(CurlError(code: 7, operation: "epoll_ctl", message: String(cString: strerror(errno)))))
                }
            case .finished(let reusable):
                end(transfer, .success(transfer.response(now: now)), reusable: reusable)
            case .failed(let error):
                end(transfer, .failure(error))
            case .retry:
                end(transfer, .failure(CurlError(code: 52, operation: "HTTP request", message: "empty reply from server")))
            }
        }

        /// Ends `transfer`: its connection is closed, or kept for the pool if `reusable`, and
        /// its call is resumed when the loop next takes the lock (`run`).
        mutating func end(_ transfer: PlainHTTPTransfer, _ result: Result<HTTPResponse, any Error>, reusable: Bool = false) {
            transfers[PlainHTTPTransferID(transfer.id)] = nil
            let connection = transfer.connection
            if reusable {
                connection.idleSince = .now
                returning.append(connection)
            } else if !transfer.endedBeforeArmed() {
                connection.close()
            }
            ended.append((transfer, result))
            if lessee { owner.endedByLessees.add(1, ordering: .relaxed) }
        }

        /// Fails what is in flight and what was handed over; closes every connection.
        mutating func shutDown() {
            lessee = false
            let idle = owner.shared.locked { s in
                returnConnections(&s)
                _ = adopt(&s)
                defer {
                    s.idle.removeAll()
                    s.idleCount = 0
                }
                return s.idle.flatMap(\.connections)
            }
            for transfer in Array(transfers.values) {
                end(transfer, .failure(CurlError(code: -1, operation: "perform", message: "client is shut down")))
            }
            for connection in idle { connection.close() }
            resumeEnded()
            scratch.deallocate()
            // The wake-up that asked for the shutdown, read: the epoll set is quiet from now on,
            // so a lessee still polling it (until its own loop stops) does not spin on it.
            var value: UInt64 = 0
            _ = read(owner.wakeFD, &value, 8)
            closed = true
        }
    }
}
