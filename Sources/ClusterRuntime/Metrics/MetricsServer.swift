import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// The cluster's scrape target (SwiftNIO, plain HTTP, meant for loopback or a private network):
/// `GET /metrics` answers the Prometheus exposition, `GET /healthz` 200 when the cluster can
/// take work (a live worker, ingest heard from, the journal writable) and 503 with the reason
/// otherwise. Anything else is 404; the server never blocks the broker's loop.
final class MetricsServer: Sendable {
    typealias Health = @Sendable () -> String?

    private let listener: HTTPListener

    /// `health` answers nil when healthy, else why not.
    init(host: String, port: Int, metrics: ClusterMetrics, health: @escaping Health) async throws {
        listener = try await HTTPListener(host: host, port: port, backlog: 64) { pipeline in
            try pipeline.addHandler(MetricsHandler(metrics: metrics, health: health))
        }
    }

    var port: Int { listener.port }

    func shutdown() async {
        await listener.shutdown()
    }
}

/// One connection's requests: the path decides, the body is ignored.
final class MetricsHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: ClusterMetrics
    private let health: MetricsServer.Health
    private var head: HTTPRequestHead?

    init(metrics: ClusterMetrics, health: @escaping MetricsServer.Health) {
        self.metrics = metrics
        self.health = health
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
            let (status, type, body): (HTTPResponseStatus, String, [UInt8])
            switch (head.method, path) {
            case (.GET, "/metrics"):
                (status, type, body) = (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics.exposition())
            case (.GET, "/healthz"):
                if let reason = health() {
                    (status, type, body) = (.serviceUnavailable, "text/plain; charset=utf-8", Array("unhealthy: \(reason)\n".utf8))
                } else {
                    (status, type, body) = (.ok, "text/plain; charset=utf-8", Array("ok\n".utf8))
                }
            default:
                (status, type, body) = (.notFound, "text/plain; charset=utf-8", Array("not found: GET /metrics or /healthz\n".utf8))
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: "\(body.count)")
            let keepAlive = head.isKeepAlive
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
                if !keepAlive { channel.close(promise: nil) }
            }
        }
    }
}
