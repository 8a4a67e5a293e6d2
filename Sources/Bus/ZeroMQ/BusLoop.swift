internal import CZeroMQ
import Foundation
import Locking
import Synchronization
import DequeModule

/// The one thread of a process that owns its ZeroMQ sockets.
///
/// It polls every socket plus a wake-up pipe. Inbound messages leave as an `AsyncStream`, or,
/// for a consumer that never waits (`attach`), by a call on this thread: no hop to another
/// thread per message, which is most of a broker's cost under load. `send` may be called from
/// any thread or task. While the loop waits in `poll` with nothing queued, another thread's
/// send goes out at once on that thread, under the outbox's lock (libzmq sockets are not
/// thread-safe, but may change threads behind a full memory barrier): at light load a worker's
/// DONE or a broker's ACK then wakes no bus thread. Otherwise outbound messages enter a locked
/// queue with a byte on the pipe; a send from this thread itself needs no byte, since the loop
/// looks at the queue before it polls again. A message that would block at the high-water mark
/// waits in order for its socket to become writable. On a socket made with `Bundling`, the
/// messages a round queued for one peer leave as one, and bundles that arrive are delivered
/// as the messages they carry.
public final class BusLoop: Sendable {
    public let inbound: AsyncStream<Message>
    /// Per socket, the endpoint it bound last as libzmq reports it (a `tcp://…:*` with its
    /// port filled in); nil for sockets that only connect.
    public var boundEndpoints: [String?] { bound.locked { $0 } }
    private let bound = Mutex<[String?]>([])
    private let continuation: AsyncStream<Message>.Continuation
    let outbox = Mutex(BusOutbox())
    /// Set by a send from another thread: the loop sends it between the messages of a round,
    /// not only after the round (a broker's ACK, released by the journal's fsync thread, must
    /// not wait behind hundreds of DONEs read in the same round).
    private let offThread = Atomic<Bool>(false)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let done = DispatchSemaphore(value: 0)
    private let sendErrors = Mutex(0)

    private let tickInterval: Duration?
    private let heartbeat: Heartbeat?
    /// Inline delivery (`attach`): the loop waits for the handler before it reads anything.
    private let inline: Bool
    /// What `attach` gave, in a struct: a bare closure read out of a lock (a generic `inout`)
    /// comes back wrapped in reabstraction thunks each time (see `LocalIngestLink.intake`).
    private let attachment = Mutex<Attachment?>(nil)
    private struct Attachment {
        let handler: @Sendable (Message) -> Void
        let roundEnd: (@Sendable () -> Void)?
        let jobsEnd: (@Sendable () -> Void)?
    }
    /// The bus thread's id while it runs Swift jobs (`runsJobsHere`), else 0.
    let jobsThread = Atomic<UInt>(0)
    private let attached = DispatchSemaphore(value: 0)

    /// Creates the sockets on a new thread, binds and connects them; throws if any fails.
    /// With `tick`, a tick message joins `inbound` at that interval: a single-threaded consumer
    /// (the broker) then needs no second stream to merge its clock into.
    ///
    /// With `inline`, messages are not streamed: the loop reads nothing until `attach` gives it
    /// the handler to call on its own thread.
    public init(context: ZMQContext, sockets specs: [SocketSpec], tick: Duration? = nil, heartbeat: Heartbeat? = nil,
                inline: Bool = false) throws {
        precondition(specs.count <= 64, "a bus loop has at most 64 sockets (the outbox's bit sets)")
        tickInterval = tick
        self.heartbeat = heartbeat
        self.inline = inline
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ZMQError(code: errno, operation: "pipe") }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)  // a process spawned by this one must not inherit it
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        (inbound, continuation) = AsyncStream.makeStream(of: Message.self, bufferingPolicy: .unbounded)
        let started = Mutex<Result<[String?], ZMQError>?>(nil)
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread.named("tgc.bus") { [self] in
            var sockets: [ZMQSocket] = []
            var descriptors: [Int32] = []
            do throws(ZMQError) {
                for spec in specs {
                    let s = try ZMQSocket(context, kind: spec.kind, identity: spec.identity, highWaterMark: spec.highWaterMark)
                    sockets.append(s)
                    try s.secure(spec.security)
                    if let interval = spec.deadPeerInterval { try s.detectDeadPeers(interval: interval) }
                    for e in spec.bind { try s.bind(e) }
                    for e in spec.connect { try s.connect(e) }
                }
                descriptors = try sockets.map { s throws(ZMQError) in try s.descriptor() }
                let bound = zip(specs, sockets).map { spec, s in spec.bind.isEmpty ? nil : s.lastEndpoint }
                started.locked { $0 = .success(bound) }
            } catch {
                for s in sockets { s.close() }
                started.locked { $0 = .failure(error) }
                ready.signal()
                return
            }
            ready.signal()
            let lendable = BusOutbox.Sockets(all: sockets)
            self.outbox.locked { o in
                o.loopThread = pthread_self()
                o.sockets = lendable
            }
            if self.inline { self.attached.wait() }
            self.run(sockets, descriptors: descriptors, bundling: specs.map(\.bundling))
        }
        thread.start()
        ready.wait()
        switch started.locked({ $0 }) {
        case .success(let endpoints)?:
            bound.locked { $0 = endpoints }
        case .failure(let error)?:
            close(wakeRead)
            close(wakeWrite)
            continuation.finish()
            throw error
        case nil:
            preconditionFailure("the bus thread signalled without a result")
        }
    }

    /// Starts inline delivery (a loop created with `inline: true`): every message and tick is
    /// passed to `handler` on the bus thread, in order. The handler must not block for long:
    /// nothing is read or sent meanwhile.
    ///
    /// `roundEnd` runs after each round of the loop that delivered something, before it polls
    /// again: where a consumer flushes what it batched over the round's messages. `jobsEnd`
    /// runs after the loop ran the Swift jobs queued for it (`BusLoop: TaskExecutor`), before
    /// it sends what they queued: where a sender flushes what those jobs batched (a worker's
    /// DONEs, written into one BUNDLE while `runsJobsHere`).
    public func attach(_ handler: @escaping @Sendable (Message) -> Void, roundEnd: (@Sendable () -> Void)? = nil,
                       jobsEnd: (@Sendable () -> Void)? = nil) {
        precondition(inline, "attach needs a loop created with inline: true")
        attachment.locked { $0 = Attachment(handler: handler, roundEnd: roundEnd, jobsEnd: jobsEnd) }
        attached.signal()
    }

    /// Serves `guest` on the bus thread from the loop's next round on (one guest per loop; any
    /// thread). Should the loop have stopped, the guest leaves at once.
    public func host(_ guest: any BusGuest) {
        let (accepted, needsWake) = outbox.locked { o -> (Bool, Bool) in
            guard o.running else { return (false, false) }
            precondition(!o.hosted, "a bus loop serves one guest")
            o.hosted = true
            o.arrivingGuest = guest
            return (true, o.claimWake())
        }
        if !accepted { guest.leave() }
        if needsWake { wake() }
    }

    /// While the loop is too busy to poll, its guest still turns this often: an answer it holds
    /// waits at most this long.
    public static let guestBusyInterval: Duration = .microseconds(200)

    /// Sends `frames` on the socket at index `socket`; any thread. From another thread while
    /// the loop waits, at once on the caller's thread; else queued for the loop.
    public func send(_ frames: [Data], on socket: Int) {
        let needsWake = outbox.locked { o -> Bool in
            guard o.running else { return false }
            if o.lent, socket < o.sockets.all.count, let arrived = sendLent(frames, on: o.sockets.all[socket]) {
                o.sentWhileLent |= 1 << UInt64(socket)
                o.lentSends += 1
                // The send processed the socket's commands: a message that arrived meanwhile no
                // longer signals its descriptor, so the loop is woken to read it.
                guard arrived else { return false }
                o.unreadWhileLent |= 1 << UInt64(socket)
                return o.claimWake()
            }
            o.queue.append((socket, frames))
            if o.onLoopThread { return false }
            offThread.store(true, ordering: .releasing)
            return o.claimWake()
        }
        if needsWake { wake() }
    }

    /// Sends on a socket the loop lent (under the outbox's lock): nil if it would block (the
    /// message then queues for the loop, in order); else whether a message now waits to be
    /// read that the socket's descriptor will not announce. A refused message is counted and
    /// dropped, as the loop does.
    private func sendLent(_ frames: [Data], on socket: ZMQSocket) -> Bool? {
        do throws(ZMQError) {
            guard try socket.send(frames) else { return nil }
        } catch {
            sendErrors.locked { $0 += 1 }
        }
        return socket.hasMessage
    }

    /// Whether the caller runs on the bus thread while the loop runs (in its handler, or in a
    /// job of a task that prefers the loop): where state that only this thread touches may be
    /// used. False once the loop has stopped (its jobs then run on Swift's global executor).
    public var isCurrentThread: Bool { outbox.locked { $0.running && $0.onLoopThread } }

    /// Messages another thread sent itself on a socket the waiting loop lent it.
    var lentSends: Int { outbox.locked { $0.lentSends } }

    /// Messages that could not be sent (a router's peer gone): counted, then dropped.
    public var droppedSends: Int { sendErrors.locked { $0 } }

    /// Stops the thread and closes the sockets (after sending what is queued, within LINGER).
    public func shutdown() {
        let (first, onLoop) = outbox.locked { o -> (Bool, Bool) in
            defer { o.running = false }
            return (o.running, o.onLoopThread)
        }
        guard first else { return }
        if inline { attached.signal() }  // never attached: let the thread see `running` is false
        wake()
        if onLoop { return }
        done.wait()
        close(wakeRead)
        close(wakeWrite)
    }

    /// Sends what `pending` holds, in order, until the socket would block; true if anything
    /// went out. A message the socket refuses (a router's peer gone) is counted and dropped.
    private func send(_ pending: inout Deque<[Data]>, on socket: ZMQSocket) -> Bool {
        var sent = false
        while let frames = pending.first {
            do throws(ZMQError) {
                guard try socket.send(frames) else { break }
                sent = true
            } catch {
                sendErrors.locked { $0 += 1 }
            }
            pending.removeFirst()
        }
        return sent
    }

    /// Runs the jobs taken from the outbox (tasks that prefer this loop), then `jobsEnd`, and
    /// takes what they queued to send into `spare`, so that it leaves in the same round.
    private func run(_ jobs: inout [UnownedJob], sendingInto spare: inout [(Int, [Data])], jobsEnd: (@Sendable () -> Void)?) {
        guard !jobs.isEmpty else { return }
        let own = asUnownedTaskExecutor()
        jobsThread.store(Self.currentThread, ordering: .relaxed)
        for job in jobs { job.runSynchronously(on: own) }
        jobsThread.store(0, ordering: .relaxed)
        jobsEnd?()
        jobs.removeAll(keepingCapacity: true)
        outbox.locked { o in
            spare.append(contentsOf: o.queue)
            o.queue.removeAll(keepingCapacity: true)
        }
    }

    /// Waits until a socket's descriptor or the wake-up pipe signals, or until the next tick or
    /// heartbeat is due (a second at most; a millisecond when `soon`); marks the sockets that
    /// signalled as unread, and all of them after a wait that timed out.
    private func wait(_ descriptors: inout [pollfd], unread: inout [Bool], until tick: ContinuousClock.Instant?,
                      _ beat: ContinuousClock.Instant?, _ guestDue: ContinuousClock.Instant?, soon: Bool, clock: ContinuousClock) {
        var timeout = soon ? 1 : 1000
        func limit(_ due: ContinuousClock.Instant?) {
            if let due { timeout = max(0, min(timeout, Int((due - clock.now).wholeMilliseconds) + 1)) }
        }
        limit(tick)
        limit(beat)
        limit(guestDue)
        let ready = poll(&descriptors, nfds_t(descriptors.count), Int32(timeout))
        if ready == 0 {
            // A safety net, not the design: should a signal ever be lost in a way not foreseen
            // in `run`, a socket waits for the timeout (a second at most), not forever.
            for index in unread.indices { unread[index] = true }
            return
        }
        guard ready > 0 else { return }
        if descriptors[unread.count].revents != 0 {
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { buffer in
                while read(wakeRead, buffer.baseAddress, buffer.count) > 0 {}
            }
        }
        for index in unread.indices where descriptors[index].revents != 0 { unread[index] = true }
    }

    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// The loop. It waits in one `poll(2)` on the sockets' `ZMQ_FD` descriptors and the wake-up
    /// pipe, not in `zmq_poll`: `zmq_poll` starts with a poll that does not wait and asks every
    /// socket for `ZMQ_EVENTS` before and after the one that does, and each of those asks
    /// libzmq's mailbox with a `poll` and a `getpid` of its own (a broker made 55 syscalls per
    /// update at light load, 36 of them these). A socket's descriptor only signals that libzmq
    /// has commands for it, and a send may process them (and so consume the signal) while a
    /// message arrives: so a socket is read until it says EAGAIN (which processes its commands:
    /// then its descriptor will signal the next arrival) whenever it may hold a message the
    /// descriptor will not announce: at start, when the descriptor signalled, after a send on
    /// it, and after a round that stopped at its bound.
    private func run(_ sockets: [ZMQSocket], descriptors fds: [Int32], bundling: [Bundling?]) {
        let given = attachment.locked { $0 }
        let endOfRound = given?.roundEnd
        let endOfJobs = given?.jobsEnd
        let emit: (Message) -> Void = given?.handler ?? { [continuation] in continuation.yield($0) }
        var pending: [Deque<[Data]>] = Array(repeating: [], count: sockets.count)
        var unread = [Bool](repeating: true, count: sockets.count)
        var descriptors = (fds + [wakeRead]).map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var spare: [(Int, [Data])] = []
        var jobs: [UnownedJob] = []
        var running = true
        let clock = ContinuousClock()
        var nextTick = tickInterval.map { clock.now + $0 }
        var nextBeat = heartbeat.map { clock.now + $0.interval }
        var guest = BusGuestSlot()
        /// Moves what other threads queued into `pending` and sends what the sockets take;
        /// false once `shutdown` was asked for.
        func flush() -> Bool {
            offThread.store(false, ordering: .relaxed)
            // Two buffers swapped under the lock: no allocation per round.
            let (running, arriving) = outbox.locked { o -> (Bool, (any BusGuest)?) in
                swap(&o.jobs, &jobs)
                swap(&o.queue, &spare)
                o.wakePending = false
                return (o.running, o.arrivingGuest.take())
            }
            if let arriving { guest.adopt(arriving, into: &descriptors) }
            run(&jobs, sendingInto: &spare, jobsEnd: endOfJobs)
            Self.queue(&spare, into: &pending, bundling: bundling)
            if let beat = heartbeat, let due = nextBeat, clock.now >= due {
                if pending[beat.socket].isEmpty { pending[beat.socket].append(beat.frames) }
                nextBeat = clock.now + beat.interval
            }
            for (index, socket) in sockets.enumerated() where !pending[index].isEmpty {
                unread[index] = true
                if send(&pending[index], on: socket), index == heartbeat?.socket, let beat = heartbeat { nextBeat = clock.now + beat.interval }
            }
            return running
        }
        while running {
            guest.busy(clock)
            running = flush()
            if !running { break }
            var delivered = false
            for (index, socket) in sockets.enumerated() where unread[index] {
                // Bounded per round, so one busy socket cannot starve the others or the outbox.
                var drained = false
                for _ in 0..<1000 {
                    guard let frames = try? socket.receive() else { drained = true; break }
                    Self.deliver(frames, from: index, userID: socket.lastUserID, bundling: bundling[index], to: emit)
                    delivered = true
                    if offThread.load(ordering: .acquiring) { _ = flush() }
                }
                if drained { unread[index] = false }
            }
            // The tick after what was read: after a stall, the heartbeats that waited in the
            // sockets reach the consumer before the clock that would call their senders silent.
            if let due = nextTick, clock.now >= due, let interval = tickInterval {
                emit(Message(socket: Self.tick, frames: []))
                delivered = true
                nextTick = max(due + interval, clock.now)
            }
            if delivered {
                endOfRound?()
                continue  // what the round's handlers queued goes out before the loop waits
            }
            if unread.contains(true) { continue }
            // A message held back at the high-water mark: its socket's descriptor may have been
            // consumed by a receive since, so look again soon instead of waiting for it.
            let holding = pending.contains { !$0.isEmpty }
            guard outbox.locked({ $0.lend(holding: holding) }) else { continue }  // see `lend`
            wait(&descriptors, unread: &unread, until: nextTick, nextBeat, guest.waitUntil(), soon: holding, clock: clock)
            let (sent, arrived) = outbox.locked { $0.takeBack() }
            guest.polled(descriptors, now: clock.now)
            for index in unread.indices where arrived & (1 << UInt64(index)) != 0 { unread[index] = true }
            if let beat = heartbeat, sent & (1 << UInt64(beat.socket)) != 0 { nextBeat = clock.now + beat.interval }
        }
        guest.leave()
        finish(sockets)
    }

    /// After the loop: closes the sockets, has the jobs queued before the stop run elsewhere
    /// (later ones go there directly), lets a guest that never arrived leave.
    private func finish(_ sockets: [ZMQSocket]) {
        for s in sockets { s.close() }
        let (jobs, guest) = outbox.locked { o in
            defer { o.jobs.removeAll() }
            return (o.jobs, o.arrivingGuest.take())
        }
        for job in jobs { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
        guest?.leave()
        continuation.finish()
        done.signal()
    }
}
