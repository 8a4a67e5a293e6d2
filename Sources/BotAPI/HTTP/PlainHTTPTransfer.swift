import Foundation
internal import CEpollShims
import Synchronization

/// One request of `PlainHTTPLoop` on one connection: its bytes written, its response read, and
/// what the loop should do next. The socket work is here; what the bytes mean is
/// `HTTPResponseParser`'s.
///
/// Owned by one thread at a time, handed over under the loop's lock: the calling task writes
/// the request (most requests leave in that one `send`), the loop thread does the rest.
final class PlainHTTPTransfer: @unchecked Sendable {
    enum Phase { case connecting, writing, reading }

    /// What the owner does next.
    enum Step {
        /// Wait for the socket to be readable (`EPOLLIN`) or writable (`EPOLLOUT`).
        case wait(UInt32)
        /// The response is complete; the connection goes back to the pool if `reusable`.
        case finished(reusable: Bool)
        /// The server closed a reused connection before answering: send again on a new one.
        case retry
        case failed(CurlError)
    }

    let id: UInt64
    let target: PlainHTTPTarget
    let continuation: CheckedContinuation<HTTPResponse, any Error>
    private(set) var connection: PlainHTTPConnection
    private(set) var phase = Phase.connecting
    /// Whether the connection carried a request before this one.
    private(set) var reused: Bool
    /// Sent again once already (after a reused connection closed): never twice.
    private(set) var retried = false
    private let bytes: [UInt8]
    private var written = 0
    private var parser = HTTPResponseParser()
    private let started: ContinuousClock.Instant
    private let connectTimeout: Duration
    private let totalTimeout: Duration
    private var connectDeadline: ContinuousClock.Instant?
    let deadline: ContinuousClock.Instant
    private var connectedAt: ContinuousClock.Instant?
    private var firstByteAt: ContinuousClock.Instant?
    private var newConnections = 0
    /// The hand-over's one race, settled once: the caller arms the socket after the loop has
    /// the transfer (`armed`), and the loop may end it before that (`endedBeforeArmed`). 0:
    /// being handed over; 1: armed; 2: ended by the loop first, the caller closes the socket.
    private let handover = Atomic<UInt8>(0)

    init(id: UInt64, target: PlainHTTPTarget, bytes: [UInt8], connection: PlainHTTPConnection, connected: Bool, reused: Bool,
         request: HTTPRequest, continuation: CheckedContinuation<HTTPResponse, any Error>, now: ContinuousClock.Instant) {
        self.id = id
        self.target = target
        self.bytes = bytes
        self.connection = connection
        self.reused = reused
        self.continuation = continuation
        started = now
        connectTimeout = request.connectTimeout
        totalTimeout = request.totalTimeout
        deadline = now + request.totalTimeout
        if !reused { newConnections = 1 }
        begin(connected: connected, now: now)
    }

    /// Writing, on a connection that is up; else connecting, within the connect timeout.
    private func begin(connected: Bool, now: ContinuousClock.Instant) {
        if connected {
            phase = .writing
            connectedAt = now
        } else {
            phase = .connecting
            connectDeadline = now + connectTimeout
        }
    }

    /// The caller, after arming the socket: false when the loop ended the transfer first (the
    /// caller then closes the socket).
    func armed() -> Bool {
        handover.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged
    }

    /// The loop, ending the transfer without reading it to the end: true when the caller has
    /// not armed the socket yet (and will close it itself).
    func endedBeforeArmed() -> Bool {
        handover.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged
    }

    /// When the loop must give up on this transfer if nothing happens.
    var nextDeadline: ContinuousClock.Instant {
        if phase == .connecting, let connectDeadline { return min(connectDeadline, deadline) }
        return deadline
    }

    /// The error for a transfer past `nextDeadline`: libcurl's code for a timeout.
    func timeoutError() -> CurlError {
        if phase == .connecting {
            return CurlError(code: 28, operation: "connect", message: "connection timed out after \(connectTimeout.milliseconds) milliseconds")
        }
        return CurlError(code: 28, operation: "HTTP request", message: "operation timed out after \(totalTimeout.milliseconds) milliseconds with \(parser.received) bytes received")
    }

    /// Moves the transfer on as far as the socket allows without blocking. `scratch` receives
    /// what is read (the loop's; the calling task never reads).
    func advance(scratch: UnsafeMutableRawBufferPointer, now: ContinuousClock.Instant) -> Step {
        if phase == .connecting {
            if let error = connection.connectError() {
                if error == EINPROGRESS || error == EALREADY { return .wait(EPOLLOUT.rawValue) }
                return .failed(CurlError(code: 7, operation: "connect", message: "cannot connect to the server: \(String(cString: strerror(error)))"))
            }
            phase = .writing
            connectedAt = now
            connectDeadline = nil
        }
        if phase == .writing {
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { raw in
                    send(connection.fd, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
                }
                if n > 0 {
                    written += n
                    continue
                }
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK { return .wait(EPOLLOUT.rawValue) }
                if reused, !retried { return .retry }
                return .failed(CurlError(code: 55, operation: "send", message: "failed sending data to the server: \(String(cString: strerror(error)))"))
            }
            phase = .reading
            return .wait(EPOLLIN.rawValue)
        }
        return read(scratch: scratch, now: now)
    }

    private func read(scratch: UnsafeMutableRawBufferPointer, now: ContinuousClock.Instant) -> Step {
        while true {
            let n = recv(connection.fd, scratch.baseAddress, scratch.count, 0)
            let verdict: HTTPResponseParser.Verdict
            if n > 0 {
                if firstByteAt == nil { firstByteAt = now }
                verdict = parser.consume(UnsafeRawBufferPointer(rebasing: scratch[..<n]))
                // A full buffer: more may be waiting, read it now rather than after another wake-up.
                if verdict == .needMore, n == scratch.count { continue }
            } else if n == 0 {
                verdict = parser.endOfInput()
            } else {
                let error = errno
                if error == EINTR { continue }
                if error == EAGAIN || error == EWOULDBLOCK { return .wait(EPOLLIN.rawValue) }
                if reused, !retried, parser.received == 0 { return .retry }
                return .failed(CurlError(code: 56, operation: "recv", message: "failure receiving data from the server: \(String(cString: strerror(error)))"))
            }
            switch verdict {
            case .needMore: return .wait(EPOLLIN.rawValue)
            case .complete(let reusable): return .finished(reusable: reusable)
            case .failed(let reason):
                if n == 0, parser.received == 0 {
                    if reused, !retried { return .retry }
                    return .failed(CurlError(code: 52, operation: "HTTP request", message: "empty reply from server"))
                }
                return .failed(CurlError(code: 56, operation: "HTTP request", message: reason))
            }
        }
    }

    /// After `.retry`: closes the connection the server closed, opens a new one and sends again
    /// on it, as far as the socket allows (nothing of the first try is kept). Used by whichever
    /// thread owns the transfer: the caller, or the loop.
    func reconnect(now: ContinuousClock.Instant) -> Step {
        connection.close()
        let connected: Bool
        do {
            (connection, connected) = try PlainHTTPConnection.open(to: target.endpoint)
        } catch {
            return .failed(error)
        }
        retried = true
        reused = false
        written = 0
        parser = HTTPResponseParser()
        firstByteAt = nil
        newConnections += 1
        begin(connected: connected, now: now)
        // A transfer that is writing never reads: no scratch needed.
        return connected ? advance(scratch: .init(start: nil, count: 0), now: now) : .wait(EPOLLOUT.rawValue)
    }

    func response(now: ContinuousClock.Instant) -> HTTPResponse {
        let connect = (connectedAt ?? started) - started
        let start = (firstByteAt ?? now) - started
        return HTTPResponse(status: parser.status, body: parser.body, retryAfter: parser.retryAfter, contentType: parser.contentType,
                            metrics: TransferMetrics(nameLookup: .zero, connect: connect, appConnect: .zero, preTransfer: connect,
                                                     startTransfer: start, total: now - started, newConnections: newConnections))
    }
}
