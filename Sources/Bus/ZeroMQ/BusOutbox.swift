import Foundation

/// What other threads hand a `BusLoop` (messages to send, Swift jobs to run) and the state they
/// share with it, all under the loop's one lock.
struct BusOutbox: ~Copyable {
    /// The loop's sockets as the outbox holds them: checked by hand, not by the compiler (the
    /// outbox's lock and its `lent` flag keep them to one thread at a time).
    struct Sockets: @unchecked Sendable {
        var all: [ZMQSocket] = []
    }

    /// Messages for the loop to send, in order: the socket's index and the frames.
    var queue: [(Int, [Data])] = []
    /// False once `shutdown` was asked for.
    var running = true
    /// A wake-up byte is on its way: later sends need not write another (one syscall per
    /// burst instead of one per message).
    var wakePending = false
    /// The bus thread, once it runs: its own sends need no byte (the loop looks at the queue
    /// before it polls again).
    var loopThread: pthread_t?
    /// Swift jobs of tasks that prefer this loop as their executor (`BusLoop: TaskExecutor`).
    var jobs: [UnownedJob] = []
    /// The sockets, once the thread has made them: another thread uses them only while
    /// `lent`, under this lock.
    var sockets = Sockets()
    /// The loop waits in `poll` and holds nothing back (no queue, no message held at a
    /// high-water mark): a send from another thread may use the socket itself, in order.
    /// Set just before the loop polls, cleared as soon as it wakes, both under this lock,
    /// so that the socket is the loop's alone whenever it touches it.
    var lent = false
    /// Bit `i`: lent socket `i` sent something (the loop's heartbeat on it is not due yet).
    var sentWhileLent: UInt64 = 0
    /// Bit `i`: a send on lent socket `i` found a message waiting, whose signal it consumed:
    /// the loop must read that socket (its descriptor will not say so).
    var unreadWhileLent: UInt64 = 0
    /// Messages other threads sent on lent sockets (for tests).
    var lentSends = 0
    /// A guest `host` gave, until the loop takes it (at its next round).
    var arrivingGuest: (any BusGuest)?
    /// `host` was called: a loop serves one guest.
    var hosted = false

    var onLoopThread: Bool { loopThread.map { pthread_equal($0, pthread_self()) != 0 } ?? false }

    /// Whether the caller must write a wake-up byte for what it just queued: not from the loop's
    /// own thread (the loop looks at the outbox before it polls), nor when a byte is on its way.
    mutating func claimWake() -> Bool {
        if onLoopThread || wakePending { return false }
        wakePending = true
        return true
    }

    /// Lends the sockets to other threads' sends while the loop waits, unless a message is held
    /// back (`holding`): theirs would then leave before it. False, and nothing lent, when jobs
    /// or messages are queued: the loop must run and send them before it waits (queued from its
    /// own thread, they wrote no wake-up byte).
    mutating func lend(holding: Bool) -> Bool {
        guard jobs.isEmpty, queue.isEmpty else { return false }
        lent = !holding && running
        return true
    }

    /// Takes the sockets back as the loop wakes; returns, as bit sets, the sockets other threads
    /// sent on meanwhile and those whose waiting message such a send found (to be read).
    mutating func takeBack() -> (sent: UInt64, arrived: UInt64) {
        lent = false
        defer { (sentWhileLent, unreadWhileLent) = (0, 0) }
        return (sentWhileLent, unreadWhileLent)
    }
}
