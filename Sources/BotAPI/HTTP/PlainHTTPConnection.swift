import Foundation

/// One TCP connection of `PlainHTTPLoop` to a server: the socket, non-blocking, with Nagle off
/// (a request is one `send`, and waiting to coalesce it would only add latency) and TCP
/// keep-alive on (as the libcurl client sets it).
///
/// Owned by one thread at a time, handed over under the loop's lock: the caller that takes it
/// from the idle pool, then the loop thread until its response is read.
final class PlainHTTPConnection: @unchecked Sendable {
    let fd: Int32
    let endpoint: PlainHTTPTarget.Endpoint
    /// In the loop's epoll set (added once; later requests re-arm it).
    var registered = false
    /// When its last response was read: a connection idle longer than the loop allows is
    /// closed, not reused (servers close idle connections on their own schedule).
    var idleSince: ContinuousClock.Instant = .now
    private var closed = false

    /// Opens a socket and starts connecting; `connected` is false while the connection is in
    /// progress (the loop then waits for the socket to become writable).
    static func open(to endpoint: PlainHTTPTarget.Endpoint) throws(CurlError) -> (PlainHTTPConnection, connected: Bool) {
        let fd = socket(endpoint.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw CurlError(code: 7, operation: "socket", message: String(cString: strerror(errno))) }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        let connection = PlainHTTPConnection(fd: fd, endpoint: endpoint)
        let result = endpoint.address.withUnsafeBytes { raw in
            connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        if result == 0 { return (connection, true) }
        let error = errno
        if error == EINPROGRESS || error == EINTR { return (connection, false) }
        connection.close()
        throw CurlError(code: 7, operation: "connect", message: "cannot connect to the server: \(String(cString: strerror(error)))")
    }

    private init(fd: Int32, endpoint: PlainHTTPTarget.Endpoint) {
        self.fd = fd
        self.endpoint = endpoint
    }

    deinit {
        assert(closed, "PlainHTTPConnection deinitialized without close()")
    }

    /// The outcome of a non-blocking connect, once the socket is writable: nil when connected.
    func connectError() -> Int32? {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return errno }
        return error == 0 ? nil : error
    }

    /// Closes the socket (the kernel drops it from any epoll set); idempotent.
    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }
}
