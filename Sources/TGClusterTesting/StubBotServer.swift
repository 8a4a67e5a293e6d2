import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Locking
import Synchronization

/// A scriptable HTTP/1.1 server on 127.0.0.1: each request is answered by a closure, and the
/// server records requests and connections so tests can assert on them.
///
/// For tests of client behaviour (retries, timeouts, connection reuse) where a test needs to
/// decide each answer itself; a bot's own tests want `tgcluster sim` instead.
public final class StubBotServer: Sendable {
    public struct Request: Sendable {
        public var method: String
        public var uri: String
        public var headers: HTTPHeaders
        public var body: Data

        /// The method name from `/bot<token>/<method>`.
        public var botMethod: String { String(uri.split(separator: "/").last?.split(separator: "?").first ?? "") }
    }

    public struct Response: Sendable {
        public var status: Int = 200
        public var body: Data = Data()
        public var headers: [(String, String)] = [("Content-Type", "application/json")]
        public var delay: Duration? = nil
        /// Never answer (a hung long poll).
        public var hang = false
        /// Close the connection instead of answering (a dropped connection).
        public var drop = false

        public init(status: Int = 200, body: Data = Data(), headers: [(String, String)] = [("Content-Type", "application/json")],
                    delay: Duration? = nil, hang: Bool = false, drop: Bool = false) {
            self.status = status
            self.body = body
            self.headers = headers
            self.delay = delay
            self.hang = hang
            self.drop = drop
        }

        public static func ok(_ resultJSON: String) -> Response {
            Response(body: Data(#"{"ok":true,"result":\#(resultJSON)}"#.utf8))
        }

        public static func error(_ code: Int, _ description: String, parameters: String? = nil) -> Response {
            var json = #"{"ok":false,"error_code":\#(code),"description":"\#(description)""#
            if let parameters { json += #","parameters":\#(parameters)"# }
            json += "}"
            return Response(status: code, body: Data(json.utf8))
        }
    }

    public typealias Handler = @Sendable (Request, Int) -> Response

    private struct State {
        var requests: [Request] = []
        var connections = 0
    }

    private let state = Mutex(State())
    private let handler: Handler
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel

    public var port: Int { channel.localAddress?.port ?? 0 }
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    public var requests: [Request] { state.locked { $0.requests } }
    public var connections: Int { state.locked { $0.connections } }

    /// Starts a server; `handler` gets each request and its 0-based index.
    public init(handler: @escaping Handler) async throws {
        self.handler = handler
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let box = HandlerBox()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(StubHTTPHandler(server: box.server!))
                }
            }
        channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        box.server = self
    }

    public func shutdown() async throws {
        try await channel.close()
        try await group.shutdownGracefully()
    }

    fileprivate func connectionOpened() {
        state.locked { $0.connections += 1 }
    }

    fileprivate func respond(to request: Request) -> Response {
        let index = state.locked { s -> Int in
            s.requests.append(request)
            return s.requests.count - 1
        }
        return handler(request, index)
    }
}

/// Lets the child initializer reach the server, which is complete only after `bind`.
private final class HandlerBox: @unchecked Sendable {
    var server: StubBotServer?
}

private final class StubHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: StubBotServer
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(server: StubBotServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        server.connectionOpened()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            let request = StubBotServer.Request(method: head.method.rawValue, uri: head.uri, headers: head.headers,
                                                body: Data(body.readableBytesView))
            let response = server.respond(to: request)
            if response.hang { return }
            if response.drop {
                context.close(promise: nil)
                return
            }
            let send = {
                var headers = HTTPHeaders(response.headers)
                headers.replaceOrAdd(name: "Content-Length", value: "\(response.body.count)")
                context.write(self.wrapOutboundOut(.head(HTTPResponseHead(
                    version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers))), promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: response.body)))), promise: nil)
                context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            }
            if let delay = response.delay {
                let micros = delay.components.seconds * 1_000_000 + delay.components.attoseconds / 1_000_000_000_000
                context.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(micros)) { send() }
            } else {
                send()
            }
        }
    }
}
