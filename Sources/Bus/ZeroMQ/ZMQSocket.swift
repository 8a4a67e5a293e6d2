internal import CZeroMQ
import Foundation

/// A libzmq socket. Not thread-safe: it lives on its process's `BusLoop` thread.
///
/// Options are set on purpose (see the ZeroMQ guide): a finite LINGER so closing never hangs on
/// a dead peer, explicit high-water marks, and ROUTER_MANDATORY on routers so a message to a
/// gone peer is an error instead of silently dropped.
public final class ZMQSocket {
    public enum Kind: Sendable {
        case router, dealer

        var raw: Int32 {
            switch self {
            case .router: return ZMQ_ROUTER
            case .dealer: return ZMQ_DEALER
            }
        }
    }

    let handle: UnsafeMutableRawPointer
    public let kind: Kind
    private var closed = false

    public init(_ context: ZMQContext, kind: Kind, identity: String? = nil, highWaterMark: Int32 = 10_000,
                linger: Duration = .milliseconds(500)) throws(ZMQError) {
        guard let h = zmq_socket(context.handle, kind.raw) else { throw .last("zmq_socket") }
        handle = h
        self.kind = kind
        try set(ZMQ_LINGER, Int32(linger.components.seconds * 1000 + linger.components.attoseconds / 1_000_000_000_000_000))
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
            frames.append(Data(bytes: zmq_msg_data(&msg), count: zmq_msg_size(&msg)))
            if zmq_msg_more(&msg) == 0 { return frames }
        }
    }
}

@available(*, unavailable)
extension ZMQSocket: Sendable {}
