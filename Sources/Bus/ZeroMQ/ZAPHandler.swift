internal import CZeroMQ
import Foundation
import Locking
import Synchronization

/// The ZAP handler of a context: a thread with a REP socket on `inproc://zeromq.zap.01` that
/// answers libzmq's authentication requests with `decide`.
///
/// It must be bound before a CURVE server socket of the same context accepts a connection;
/// with the server's domain enforced, a handshake that finds no handler is refused (not
/// admitted, which is libzmq's default without a domain). Its own thread keeps handshakes
/// answered however busy the role's loop is.
public final class ZAPHandler: Sendable {
    public static let endpoint = "inproc://zeromq.zap.01"

    private let running = Mutex(true)
    private let done = DispatchSemaphore(value: 0)

    /// Binds the handler; throws if another one is bound in this context.
    public init(context: ZMQContext, decide: @escaping @Sendable (ZAPRequest) -> ZAPRequest.Decision) throws(ZMQError) {
        let socket = try ZMQSocket(context, kind: .rep, highWaterMark: 1000, linger: .zero)
        do throws(ZMQError) {
            try socket.setReceiveTimeout(.milliseconds(100))
            try socket.bind(Self.endpoint)
        } catch {
            socket.close()
            throw error
        }
        let box = SocketBox(socket)
        let thread = Thread.named("tgc.zap") { [self] in
            let socket = box.socket
            while running.locked({ $0 }) {
                guard let frames = try? socket.receiveBlocking() else { continue }
                let reply = ZAPRequest.parse(frames).map { $0.reply(decide($0)) } ?? ZAPRequest.malformedReply(frames)
                _ = try? socket.send(reply)
            }
            socket.close()
            done.signal()
        }
        thread.start()
    }

    /// Stops answering and closes the socket (before the context is closed).
    public func shutdown() {
        let first = running.locked { r -> Bool in
            defer { r = false }
            return r
        }
        if first { done.wait() }
    }

    /// Moves the socket to the handler's thread, its only user from then on.
    private final class SocketBox: @unchecked Sendable {
        let socket: ZMQSocket
        init(_ socket: ZMQSocket) { self.socket = socket }
    }
}
