internal import CZeroMQ
import Foundation

/// A libzmq socket. Not thread-safe: it lives on its process's `BusLoop` thread.
///
/// Options are set on purpose (see the ZeroMQ guide): a finite LINGER so closing never hangs on
/// a dead peer, explicit high-water marks, and ROUTER_MANDATORY on routers so a message to a
/// gone peer is an error instead of silently dropped.
public final class ZMQSocket {
    public enum Kind: Sendable {
        case router, dealer, rep

        var raw: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .dealer: return ZMQ_DEALER
            case .rep: return ZMQ_REP
            }
        }
    }

    let handle: UnsafeMutableRawPointer
    public let kind: Kind
    private var closed = false
    /// A CURVE server's messages carry the `User-Id` its ZAP handler gave the peer.
    private var readsUserID = false
    /// The `User-Id` of the message `receive` returned last (nil without CURVE).
    public private(set) var lastUserID: String?

    public init(_ context: ZMQContext, kind: Kind, identity: String? = nil, highWaterMark: Int32 = 10_000,
                linger: Duration = .milliseconds(500)) throws(ZMQError) {
        guard let h = zmq_socket(context.handle, kind.raw) else { throw .last("zmq_socket") }
        handle = h
        self.kind = kind
        try set(ZMQ_LINGER, Int32(linger.wholeMilliseconds))
        try set(ZMQ_SNDHWM, highWaterMark)
        try set(ZMQ_RCVHWM, highWaterMark)
        try set(ZMQ_RECONNECT_IVL, 100)
        if kind == .router { try set(ZMQ_ROUTER_MANDATORY, 1) }
        if let identity {
            let bytes = Array(identity.utf8)
            guard zmq_setsockopt(handle, ZMQ_ROUTING_ID, bytes, bytes.count) == 0 else { throw .last("zmq_setsockopt(ROUTING_ID)") }
        }
    }

    deinit {
        assert(closed, "ZMQSocket deinitialized without close()")
    }

    public func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw .last("zmq_bind(\(endpoint))") }
    }

    /// The endpoint bound last, with the port the system chose for `tcp://host:*`.
    public var lastEndpoint: String? {
        var buffer = [CChar](repeating: 0, count: 1024)
        var size = buffer.count
        guard zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buffer, &size) == 0 else { return nil }
        return String(nulTerminated: buffer)
    }

    /// The descriptor libzmq signals when the socket's state changes (`ZMQ_FD`): readable when
    /// commands wait for the socket, which a receive, a send or `ZMQ_EVENTS` then processes. It
    /// does not say a message is there, and a message can be there without it: see `BusLoop.run`.
    func descriptor() throws(ZMQError) -> Int32 {
        var fd: Int32 = -1
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, ZMQ_FD, &fd, &size) == 0 else { throw .last("zmq_getsockopt(FD)") }
        return fd
    }

    /// Whether a message waits to be received (`ZMQ_EVENTS` has `ZMQ_POLLIN`). Asking processes
    /// the socket's pending commands, as a receive or a send does: after it, `descriptor()`
    /// signals the next change.
    var hasMessage: Bool {
        var events: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard zmq_getsockopt(handle, ZMQ_EVENTS, &events, &size) == 0 else { return true }  // let the loop find out
        return events & Int32(ZMQ_POLLIN) != 0
    }

    public func connect(_ endpoint: String) throws(ZMQError) {
        guard zmq_connect(handle, endpoint) == 0 else { throw .last("zmq_connect(\(endpoint))") }
    }

    public func close() {
        guard !closed else { return }
        closed = true
        zmq_close(handle)
    }

    private func set(_ option: Int32, _ value: Int32) throws(ZMQError) {
        var v = value
        guard zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size) == 0 else { throw .last("zmq_setsockopt(\(option))") }
    }

    private func set(_ option: Int32, _ text: String) throws(ZMQError) {
        let bytes = Array(text.utf8)
        guard zmq_setsockopt(handle, option, bytes, bytes.count) == 0 else { throw .last("zmq_setsockopt(\(option))") }
    }

    /// ZMQ_ZAP_ENFORCE_DOMAIN: in libzmq's draft section of zmq.h, accepted by stable builds.
    static let zapEnforceDomain: Int32 = 93

    /// CURVE keys and, for a server, the ZAP domain; before `bind` or `connect`.
    public func secure(_ security: ZMQSecurity) throws(ZMQError) {
        switch security {
        case .none:
            return
        case .curveServer(let secret, let domain):
            try set(ZMQ_CURVE_SERVER, 1)
            try set(ZMQ_CURVE_SECRETKEY, secret)
            if !domain.isEmpty {
                try set(ZMQ_ZAP_DOMAIN, domain)
                try set(Self.zapEnforceDomain, 1)
            }
            readsUserID = true
        case .curveClient(let publicKey, let secret, let serverKey):
            try set(ZMQ_CURVE_SERVERKEY, serverKey)
            try set(ZMQ_CURVE_PUBLICKEY, publicKey)
            try set(ZMQ_CURVE_SECRETKEY, secret)
        }
    }

    /// ZMTP's own heartbeats and a handshake deadline, so a connection to a dead or cut-off
    /// peer is closed (and redialled) in seconds instead of at TCP's pace; the roles' own
    /// heartbeats stay the authority over which work is lost.
    public func detectDeadPeers(interval: Duration) throws(ZMQError) {
        let ms = Int32(interval.wholeMilliseconds)
        try set(ZMQ_HEARTBEAT_IVL, ms)
        try set(ZMQ_HEARTBEAT_TIMEOUT, ms * 3)
        try set(ZMQ_HEARTBEAT_TTL, ms * 3)
        try set(ZMQ_HANDSHAKE_IVL, ms * 5)
    }

    func setReceiveTimeout(_ timeout: Duration) throws(ZMQError) {
        try set(ZMQ_RCVTIMEO, Int32(timeout.wholeMilliseconds))
    }

    /// Waits up to the receive timeout for one multipart message; nil when none came.
    func receiveBlocking() throws(ZMQError) -> [Data]? {
        var msg = zmq_msg_t()
        zmq_msg_init(&msg)
        defer { zmq_msg_close(&msg) }
        let rc = zmq_msg_recv(&msg, handle, 0)
        if rc < 0 {
            let code = zmq_errno()
            if code == EAGAIN || code == EINTR { return nil }
            throw ZMQError(code: code, operation: "zmq_msg_recv")
        }
        var frames = [Data(bytes: zmq_msg_data(&msg), count: zmq_msg_size(&msg))]
        if zmq_msg_more(&msg) != 0, let rest = try receive() { frames += rest }
        return frames
    }

    /// Sends a multipart message without blocking; false when it would block (high-water mark).
    /// Throws on other errors (EHOSTUNREACH: a router's peer is gone).
    @discardableResult
    public func send(_ frames: [Data]) throws(ZMQError) -> Bool {
        for (i, frame) in frames.enumerated() {
            let flags = ZMQ_DONTWAIT | (i < frames.count - 1 ? ZMQ_SNDMORE : 0)
            let rc = frame.withUnsafeBytes { raw in zmq_send(handle, raw.baseAddress, raw.count, flags) }
            if rc < 0 {
                let code = zmq_errno()
                if code == EINTR { return try send(Array(frames[i...])) }
                if code == EAGAIN, i == 0 { return false }
                throw ZMQError(code: code, operation: "zmq_send")
            }
        }
        return true
    }

    /// Receives one multipart message without blocking; nil when none is waiting.
    public func receive() throws(ZMQError) -> [Data]? {
        var frames: [Data] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            let rc = zmq_msg_recv(&msg, handle, frames.isEmpty ? ZMQ_DONTWAIT : 0)
            if rc < 0 {
                let code = zmq_errno()
                if code == EAGAIN, frames.isEmpty { return nil }
                if code == EINTR { continue }
                throw ZMQError(code: code, operation: "zmq_msg_recv")
            }
            // Room for a routed message's usual parts at once: appends would grow the array two
            // or three times per message.
            if frames.isEmpty { frames.reserveCapacity(6) }
            frames.append(Data(bytes: zmq_msg_data(&msg), count: zmq_msg_size(&msg)))
            if zmq_msg_more(&msg) == 0 {
                // On the last frame: a ROUTER's first (the routing id) is its own and carries none.
                if readsUserID { lastUserID = zmq_msg_gets(&msg, "User-Id").map { String(cString: $0) } }
                return frames
            }
        }
    }
}

@available(*, unavailable)
extension ZMQSocket: Sendable {}
