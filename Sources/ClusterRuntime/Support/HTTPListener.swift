import Atomics
import NIOCore
import NIOHTTP1
import NIOPosix

/// A SwiftNIO HTTP/1.1 server on one event loop of its own; what each connection's pipeline
/// holds after the HTTP codec (and before it: `prefix`, e.g. TLS) is the caller's. The webhook
/// and the metrics endpoint share it.
final class HTTPListener: Sendable {
    /// Adds handlers to a new connection's pipeline.
    typealias Configure = @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void

    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    /// `maxConnections`: a connection beyond it is closed as soon as it is accepted (nil: no cap).
    init(host: String, port: Int, reusePort: Bool = false, backlog: Int32 = 256, maxConnections: Int? = nil,
         prefix: @escaping Configure = { _ in }, handlers: @escaping Configure) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        // Connections open now (touched on the one event loop, but created off it).
        let open = ManagedAtomic(0)
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: backlog)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: reusePort ? 1 : 0)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    if let maxConnections {
                        guard open.load(ordering: .relaxed) < maxConnections else { return channel.close() }
                        open.wrappingIncrement(ordering: .relaxed)
                        channel.closeFuture.whenComplete { _ in open.wrappingDecrement(ordering: .relaxed) }
                    }
                    return channel.eventLoop.makeCompletedFuture {
                        try prefix(channel.pipeline.syncOperations)
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        try handlers(channel.pipeline.syncOperations)
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// The port bound (useful after binding port 0).
    var port: Int { channel.localAddress?.port ?? 0 }

    func shutdown() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}
