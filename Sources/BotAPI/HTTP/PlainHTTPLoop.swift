internal import CEpollShims
import Foundation
import Synchronization

/// A lean HTTP/1.1 client for a Bot API server reached over plain HTTP at an IP address: the
/// local Bot API server (`telegram-bot-api --local`), the sim, a server on the same host or
/// network. Kept-alive connections, one request at a time on each, any number in flight.
///
/// Why not libcurl here (which `BotClient` keeps for HTTPS, proxies, names, uploads and fresh
/// connections): a reply through libcurl 7.88 cost a worker ~43,000 instructions of libcurl's
/// own, a third of the whole cluster's per-update count (callgrind, `scripts/bench
/// instructions`), two `poll` calls of its connection checks, and a wake-up of its thread per
/// request. Here the calling task writes the request itself (one `send`), and only the reading
/// wakes the loop thread, which waits on one epoll set (`EPOLLONESHOT`: a socket is watched
/// only while its request is in flight, and re-armed by the next one).
///
/// Threads: the calling task owns a transfer until it hands it to the loop (under the lock) and
/// then arms its socket; the loop thread owns it after. Connections go back to an idle pool
/// (`Configuration.maxIdleConnections`), reused newest first, and are closed past
/// `maxIdleTime`. A request that finds its reused connection closed by the server before any
/// byte of an answer is sent again, once, on a new one (as libcurl does). Close with `shutdown()`.
///
/// Another thread's event loop may run the loop instead of its own thread (`lend()`): a process
/// whose one protocol thread awaits these answers then reads them itself, one thread woken per
/// answer instead of two.
public final class PlainHTTPLoop: Sendable {
    public struct Configuration: Sendable {
        /// Idle connections kept for reuse, all servers together.
        public var maxIdleConnections = 64
        /// A connection idle longer is closed rather than reused: servers close idle
        /// connections after their own timeout (nginx 75 s), and a request on one the server
        /// is closing would be sent twice.
        public var maxIdleTime: Duration = .seconds(30)

        public init() {}
    }

    struct Shared: ~Copyable {
        /// By server: a list, not a table (a client talks to one or two servers; hashing the
        /// address cost more than comparing it).
        var idle: [(endpoint: PlainHTTPTarget.Endpoint, connections: [PlainHTTPConnection])] = []
        var idleCount = 0
        /// Transfers the calling tasks handed over since the loop last looked.
        var handoff: [PlainHTTPTransfer] = []
        var cancelled: [UInt64] = []
        /// When the loop's current wait ends; nil while it is awake. A transfer due sooner wakes it.
        var sleepingUntil: ContinuousClock.Instant?
        var running = true
        var finished = false
        /// Driven by a lessee (`lend()`): the loop's own thread is parked.
        var lent = false
    }

    public let configuration: Configuration
    let shared = Mutex(Shared())
    private let nextID = Atomic<UInt64>(0)
    let epoll: Int32
    let wakeFD: Int32
    private let done = DispatchSemaphore(value: 0)
    /// The driving thread's state: the loop's own thread's, or a lessee's, one at a time.
    let driver = Mutex<LoopThread?>(nil)
    /// Signalled when a lease ends or the loop shuts down: the parked loop thread looks again.
    let unpark = DispatchSemaphore(value: 0)
    /// Signalled by the loop thread as it parks (or ends): `lend()` returns once it has.
    let parked = DispatchSemaphore(value: 0)
    /// Transfers ended in a lessee's turns, counted before their calls resume (for tests).
    let endedByLessees = Atomic<Int>(0)

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(epoll >= 0 && wakeFD >= 0, "epoll_create1/eventfd failed: \(String(cString: strerror(errno)))")
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(u64: 0))
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFD, &event) == 0, "epoll_ctl(eventfd) failed")
        driver.locked { $0 = LoopThread(owner: self) }
        let thread = Thread.named("tgc.http") { [self] in
            self.runLoop()
        }
        thread.start()
    }

    deinit {
        assert(shared.locked { $0.finished }, "PlainHTTPLoop deinitialized without shutdown()")
        // Closed here, not when the loop thread ends: a caller that handed a transfer over just
        // before `shutdown()` may still arm its socket, and a closed epoll descriptor's number
        // could by then belong to another epoll set of the process. (`close` does not block.)
        close(epoll)
        close(wakeFD)
    }

    /// Whether this client sends `request` to `target` (`PlainHTTPTarget`, made once per
    /// server): its URL at that origin, a body of bytes or none, not on a fresh connection
    /// (`tgcluster probe` measures libcurl's connects). A pure check: no lock, no table.
    static func accepts(_ request: HTTPRequest, at target: PlainHTTPTarget) -> Bool {
        if request.freshConnection { return false }
        if case .multipart = request.body { return false }
        return target.holds(request.url)
    }

    /// Performs `request` if this client sends it (`accepts`), else throws. An HTTP error
    /// status is a normal response; a transport failure throws `CurlError` with libcurl's code
    /// for it (7 connect, 28 timeout, 52 empty reply, 55 send, 56 receive), so that callers
    /// retry both clients' failures alike.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard let target = PlainHTTPTarget(url: request.url), Self.accepts(request, at: target) else {
            throw CurlError(code: 1, operation: "perform", message: "not a plain-HTTP request to an IP address")
        }
        return try await perform(request, to: target)
    }

    @inline(__always)
    func perform(_ request: HTTPRequest, to target: PlainHTTPTarget) async throws -> HTTPResponse {
        let id = nextID.add(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                start(id, request, target, continuation)
            }
        } onCancel: {
            let running = shared.locked { s -> Bool in
                s.cancelled.append(id)
                return s.running
            }
            if running { wake() }
        }
    }

    /// Stops the loop: transfers in flight fail, every connection is closed. Blocks until the
    /// loop thread has finished; idempotent.
    public func shutdown() {
        let (first, lentOut) = shared.locked { s -> (Bool, Bool) in
            defer { s.running = false }
            return (s.running, s.lent)
        }
        guard first else { return }
        wake()
        if lentOut { unpark.signal() }
        done.wait()
    }

    /// Connections in the idle pool (for tests).
    var idleConnections: Int { shared.locked { $0.idleCount } }

    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    // MARK: - The calling task

    /// Takes a connection (idle, or a new one), writes the request, hands the transfer to the
    /// loop and arms its socket.
    private func start(_ id: UInt64, _ request: HTTPRequest, _ target: PlainHTTPTarget,
                       _ continuation: CheckedContinuation<HTTPResponse, any Error>) {
        let bytes: [UInt8]?
        switch request.body {
        case .none: bytes = target.request(url: request.url, method: "GET", headers: request.headers, contentType: nil, body: nil)
        case .bytes(let data, let type): bytes = target.request(url: request.url, method: "POST", headers: request.headers, contentType: type, body: data)
        case .multipart: preconditionFailure("a multipart request is libcurl's (accepts)")
        }
        guard let bytes else {
            continuation.resume(throwing: CurlError(code: 3, operation: "perform", message: "URL using bad/illegal format or missing URL"))
            return
        }
        let now = ContinuousClock.now
        let (idle, stale) = shared.locked { s in s.takeIdle(target.endpoint, now: now, maxIdleTime: configuration.maxIdleTime) }
        for connection in stale { connection.close() }
        let transfer: PlainHTTPTransfer
        do {
            if let idle {
                transfer = PlainHTTPTransfer(id: id, target: target, bytes: bytes, connection: idle, connected: true, reused: true,
                                             request: request, continuation: continuation, now: now)
            } else {
                let (connection, connected) = try PlainHTTPConnection.open(to: target.endpoint)
                transfer = PlainHTTPTransfer(id: id, target: target, bytes: bytes, connection: connection, connected: connected,
                                             reused: false, request: request, continuation: continuation, now: now)
            }
        } catch {
            continuation.resume(throwing: error)
            return
        }
        // Nothing to read here: the scratch is the loop's, and a transfer not yet sent never reads.
        var step: PlainHTTPTransfer.Step = transfer.phase == .connecting ? .wait(EPOLLOUT.rawValue) : transfer.advance(scratch: .init(start: nil, count: 0), now: now)
        if case .retry = step { step = transfer.reconnect(now: now) }
        guard case .wait(let interest) = step else {
            transfer.connection.close()
            if case .failed(let error) = step { continuation.resume(throwing: error) } else { continuation.resume(throwing: CurlError(code: 55, operation: "send", message: "failed sending data to the server")) }
            return
        }
        // Handed over first, then armed outside the lock (an `epoll_ctl` held under it made the
        // other threads wait in the kernel: ~3 futex calls per request, `strace -f`), so the
        // loop cannot see the socket's event before it knows the transfer. Should the loop end
        // the transfer before it is armed (a cancellation, shutdown), the socket is the
        // caller's to close (`PlainHTTPTransfer.armed`): a number the kernel hands out again is
        // never armed for a transfer that is gone. Whether to add the socket to the epoll set
        // or re-arm it is decided before the hand-over, after which the loop may read the flag.
        // The connection is read here, before: once handed over, the transfer is the loop's to
        // change (a retry gives it a new connection; ThreadSanitizer saw this read race with it).
        let connection = transfer.connection
        let add = !connection.registered
        connection.registered = true
        let outcome = shared.locked { s -> (handed: Bool, wake: Bool, error: (any Error)?) in
            guard s.running else { return (false, false, CurlError(code: -1, operation: "perform", message: "client is shut down")) }
            guard !Task.isCancelled else { return (false, false, CancellationError()) }
            s.handoff.append(transfer)
            return (true, s.sleepingUntil.map { transfer.nextDeadline < $0 } ?? false, nil)
        }
        guard outcome.handed else {
            connection.close()
            continuation.resume(throwing: outcome.error!)
            return
        }
        // An arm that fails (the kernel out of memory) leaves the transfer to its deadline.
        _ = arm(connection.fd, interest, id: id, add: add)
        if !transfer.armed() {
            // The loop ended the transfer first: both sockets are ours to close. It may have
            // seen the socket's event between the arm and this exchange, found the reused
            // connection closed by the server and moved the transfer to a new one before it
            // failed (a debug build's assert caught that new connection dropped unclosed, once,
            // in a parallel test run). The exchange orders the loop's writes before this read.
            connection.close()
            transfer.connection.close()
        }
        if outcome.wake { wake() }
    }

    /// Watches the connection's socket for one event of `interest` (on the loop thread).
    func arm(_ connection: PlainHTTPConnection, _ interest: UInt32, id: UInt64) -> Bool {
        let add = !connection.registered
        connection.registered = true
        return arm(connection.fd, interest, id: id, add: add)
    }

    /// Adds `fd` to the epoll set, or re-arms it (`EPOLLONESHOT` disarmed it after its last event).
    private func arm(_ fd: Int32, _ interest: UInt32, id: UInt64, add: Bool) -> Bool {
        var event = epoll_event(events: interest | EPOLLONESHOT.rawValue, data: epoll_data_t(u64: id))
        return epoll_ctl(epoll, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) == 0
    }

    // MARK: - The loop thread

    /// The loop's own thread: drives the loop (`LoopThread.step`) whenever it is not lent, and
    /// parks while it is (`lend()`), until the lease ends or the loop shuts down.
    private func runLoop() {
        while true {
            let (lentOut, running) = shared.locked { ($0.lent, $0.running) }
            if lentOut, running {
                parked.signal()
                unpark.wait()
                continue
            }
            if !driver.locked({ $0!.step(blocking: true) }) { break }
        }
        driver.locked { $0!.shutDown() }
        shared.locked { $0.finished = true }
        parked.signal()  // a `lend()` that raced with the shutdown
        done.signal()
    }
}
