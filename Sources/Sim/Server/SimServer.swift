import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `tgcluster sim` on a port: SwiftNIO HTTP/1.1 with keep-alive, one event loop per core.
public final class SimServer: Sendable {
    public let emulator: Emulator
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    /// The port actually bound (useful with port 0).
    public var port: Int { channel.localAddress?.port ?? 0 }
    public var host: String { emulator.configuration.host }
    public var baseURL: String { "http://\(host):\(port)" }

    /// Binds and starts serving; throws a clear error when the address is taken.
    public init(configuration: SimConfiguration, threads: Int = System.coreCount) async throws {
        let emulator = Emulator(configuration: configuration)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                emulator.connectionOpened()
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(SimHTTPHandler(emulator: emulator))
                }
            }
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            emulator.shutdown()
            throw SimServerError(message: "cannot listen on \(configuration.host):\(configuration.port): \(Self.describe(error))")
        }
        self.emulator = emulator
        self.group = group
    }

    /// Stops accepting, closes connections, stops webhook delivery.
    public func shutdown() async throws {
        try? await channel.close()
        emulator.shutdown()
        try await group.shutdownGracefully()
    }

    private static func describe(_ error: any Error) -> String {
        if let io = error as? IOError, io.errnoCode == EADDRINUSE { return "address already in use" }
        return "\(error)"
    }
}

public struct SimServerError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
