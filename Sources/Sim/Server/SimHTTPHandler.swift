import Foundation
import NIOCore
import NIOHTTP1

/// One connection of the emulator: routes `/bot<token>/<method>`, `/file/bot<token>/<path>`
/// and the control API under `/sim/`, applying injected latency and faults to Bot API calls.
final class SimHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Telegram's local server accepts uploads up to 2000 MB; the cloud 50 MB. 64 MB here.
    static let maxBody = 64 << 20

    private let emulator: Emulator
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false

    init(emulator: Emulator) {
        self.emulator = emulator
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
            tooLarge = false
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > Self.maxBody {
                tooLarge = true
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                respond(context, head: head, status: 413, body: Data(APIError(413, "Request Entity Too Large").json.utf8))
                return
            }
            route(context, head: head, body: Data(body.readableBytesView))
        }
    }

    private func route(_ context: ChannelHandlerContext, head: HTTPRequestHead, body: Data) {
        let uri = head.uri
        let pathEnd = uri.firstIndex(of: "?") ?? uri.endIndex
        let path = uri[..<pathEnd]
        let query = pathEnd < uri.endIndex ? uri[uri.index(after: pathEnd)...] : nil
        if path.hasPrefix("/bot") {
            botAPI(context, head: head, path: path.dropFirst(4), query: query, body: body)
        } else if path.hasPrefix("/file/bot") {
            file(context, head: head, path: path.dropFirst(9))
        } else if path.hasPrefix("/sim/") {
            control(context, head: head, path: path.dropFirst(5), query: query, body: body)
        } else {
            respond(context, head: head, status: 404, body: Data(APIError.notFound.json.utf8))
        }
    }

    // MARK: - Bot API

    private func botAPI(_ context: ChannelHandlerContext, head: HTTPRequestHead, path: Substring, query: Substring?, body: Data) {
        let parts = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let token = String(parts[0])
        guard emulator.accepts(token: token) else {
            respond(context, head: head, status: 401, body: Data(APIError.unauthorized.json.utf8))
            return
        }
        guard parts.count == 2, !parts[1].isEmpty, !parts[1].contains("/") else {
            respond(context, head: head, status: 404, body: Data(APIError.notFound.json.utf8))
            return
        }
        let method = String(parts[1])
        let config = emulator.configuration
        // Faults, for clients' retry logic: a dropped connection, a 502 page, a slow answer.
        if config.faultDrop > 0, Double.random(in: 0..<1) < config.faultDrop {
            context.close(promise: nil)
            return
        }
        if config.fault5xx > 0, Double.random(in: 0..<1) < config.fault5xx {
            respond(context, head: head, status: 502, body: Data("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.18.0</center></body></html>\r\n".utf8),
                    contentType: "text/html", after: delay(config))
            return
        }
        let params: BotParams
        do {
            params = try BotParams.parse(query: query, contentType: head.headers["content-type"].first, body: body)
        } catch {
            respond(context, head: head, status: error.code, body: Data(error.json.utf8), after: delay(config))
            return
        }
        let slow = config.faultSlow > 0 && Double.random(in: 0..<1) < config.faultSlow
        let wait = delay(config) + (slow ? config.slowDelay : .zero)
        let future = emulator.call(method: method, token: token, params: params, client: context.remoteAddress?.ipAddress,
                                   on: context.eventLoop)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        future.whenSuccess { result in
            let (handler, context) = loopBound.value
            var extra: [(String, String)] = []
            if case .error(let e) = result, let after = e.retryAfter { extra.append(("Retry-After", "\(after)")) }
            handler.respond(context, head: head, status: result.status, body: result.bodyData, extraHeaders: extra, after: wait)
        }
    }

    private func delay(_ config: SimConfiguration) -> Duration {
        guard config.latency > .zero || config.jitter > .zero else { return .zero }
        let jitter = config.jitter > .zero ? config.jitter * Double.random(in: -1...1) : .zero
        return max(.zero, config.latency + jitter)
    }

    private func file(_ context: ChannelHandlerContext, head: HTTPRequestHead, path: Substring) {
        let parts = path.split(separator: "/", maxSplits: 1)
        guard parts.count == 2, emulator.accepts(token: String(parts[0])) else {
            respond(context, head: head, status: 401, body: Data(APIError.unauthorized.json.utf8))
            return
        }
        guard let data = emulator.download(path: String(parts[1])) else {
            respond(context, head: head, status: 404, body: Data(APIError.notFound.json.utf8))
            return
        }
        respond(context, head: head, status: 200, body: data, contentType: "application/octet-stream")
    }

    // MARK: - Control API

    private func control(_ context: ChannelHandlerContext, head: HTTPRequestHead, path: Substring, query: Substring?, body: Data) {
        let result = SimControlAPI(emulator: emulator).handle(method: head.method, path: path, query: query, body: body)
        respond(context, head: head, status: result.status, body: result.body)
    }

    // MARK: - Responses

    private func respond(_ context: ChannelHandlerContext, head: HTTPRequestHead, status: Int, body: Data,
                         contentType: String = "application/json", extraHeaders: [(String, String)] = [],
                         after wait: Duration = .zero) {
        if wait > .zero {
            let micros = wait.components.seconds * 1_000_000 + wait.components.attoseconds / 1_000_000_000_000
            context.eventLoop.assumeIsolated().scheduleTask(in: .microseconds(micros)) {
                self.respond(context, head: head, status: status, body: body, contentType: contentType, extraHeaders: extraHeaders)
            }
            return
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: "\(body.count)")
        for (k, v) in extraHeaders { headers.add(name: k, value: v) }
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: body.count)
        buffer.writeBytes(body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
