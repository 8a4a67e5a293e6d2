internal import CZeroMQ

/// A libzmq context: one per process. `close()` terminates it (blocking until every socket is
/// closed; sockets here always have a finite LINGER, so it cannot hang on a dead peer).
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private var closed = false

    public init() {
        guard let h = zmq_ctx_new() else { preconditionFailure("zmq_ctx_new failed") }
        handle = h
    }

    public func close() {
        guard !closed else { return }
        closed = true
        while zmq_ctx_term(handle) != 0, zmq_errno() == EINTR {}
    }

    deinit {
        assert(closed, "ZMQContext deinitialized without close()")
    }

    /// The libzmq version, e.g. "4.3.4".
    public static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
