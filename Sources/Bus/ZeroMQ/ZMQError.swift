internal import CZeroMQ

/// A failure reported by libzmq: the errno and the call that failed.
public struct ZMQError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var operation: String

    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// The error of the last failed libzmq call on this thread.
    static func last(_ operation: String) -> ZMQError {
        ZMQError(code: zmq_errno(), operation: operation)
    }

    public var description: String { "\(operation): \(String(cString: zmq_strerror(code))) (\(code))" }
}
