import BotAPI
import Wire
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The webhook's HTTP/1.1 server (SwiftNIO; TLS through swift-nio-ssl when given a certificate
/// and key). Each request is checked by `WebhookPolicy`, its body scanned (never fully decoded)
/// and handed to the broker; 200 only after the broker's ACK (itself after the journal's
/// fsync), 503 when the broker cannot take it now, so Telegram sends it again and nothing is
/// lost. A body that is not an update gets 400 and a dead-letter entry.
final class WebhookServer: Sendable {
    struct Configuration: Sendable {
        var host: String
        var port: Int
        var policy: WebhookPolicy
        var tlsCertificate: String?
        var tlsKey: String?
        /// Several ingest processes may listen on one port (`SO_REUSEPORT`).
        var reusePort = true
        /// A connection's request and idle deadlines (slow clients are closed).
        var deadlines = WebhookDeadlines.Limits()
        /// Connections open at once; one more is closed as soon as it is accepted (`--max-open`).
        var maxOpen = 256
    }

    typealias Submit = @Sendable (UpdateEnvelope) async -> Bool
    typealias Reject = @Sendable (String, Data) -> Void

    private let listener: HTTPListener

    init(configuration: Configuration, submit: @escaping Submit, malformed: @escaping Reject, logger: Logger) async throws {
        var tls: NIOSSLContext?
        if let cert = configuration.tlsCertificate, let key = configuration.tlsKey {
            let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
            let tlsConfig = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            tls = try NIOSSLContext(configuration: tlsConfig)
        }
        let policy = configuration.policy, deadlines = configuration.deadlines
        listener = try await HTTPListener(
            host: configuration.host, port: configuration.port, reusePort: configuration.reusePort, backlog: 1024,
            maxConnections: configuration.maxOpen,
            prefix: { [tls] pipeline in
                try pipeline.addHandler(WebhookDeadlineHandler(limits: deadlines))
                if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
            },
            handlers: { pipeline in try pipeline.addHandler(WebhookHandler(policy: policy, submit: submit, malformed: malformed)) })
    }

    var port: Int { listener.port }

    func shutdown() async {
        await listener.shutdown()
    }
}

/// One connection's requests: head → verdict, body gathered up to the limit, then the answer.
final class WebhookHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let policy: WebhookPolicy
    private let submit: WebhookServer.Submit
    private let malformed: WebhookServer.Reject
    private var verdict: WebhookPolicy.Verdict = .accept
    private var body = ByteBuffer()
    private var keepAlive = true

    init(policy: WebhookPolicy, submit: @escaping WebhookServer.Submit, malformed: @escaping WebhookServer.Reject) {
        self.policy = policy
        self.submit = submit
        self.malformed = malformed
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            body.clear()
            verdict = policy.check(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) })
        case .body(var chunk):
            guard verdict == .accept else { return }
            if body.readableBytes + chunk.readableBytes > policy.maxBodyBytes {
                verdict = .reject(status: 413, reason: "body larger than \(policy.maxBodyBytes) bytes")
                body.clear()
                return
            }
            body.writeBuffer(&chunk)
        case .end:
            context.triggerUserOutboundEvent(WebhookDeadlineHandler.Event.requestComplete, promise: nil)
            switch verdict {
            case .health:
                respond(context, 200, "ok")
            case .reject(let status, let reason):
                respond(context, status, reason)
            case .accept:
                let bytes = Data(body.readableBytesView)
                let update: UpdateEnvelope
                do {
                    update = UpdateEnvelope(try UpdateScanner.scanUpdate(bytes), in: bytes)
                } catch {
                    malformed("\(error)", bytes)
                    respond(context, 400, "not an update: \(error)")
                    return
                }
                let submit = self.submit
                let promise = context.eventLoop.makePromise(of: Bool.self)
                promise.completeWithTask { await submit(update) }
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                promise.futureResult.whenSuccess { accepted in
                    let (handler, context) = loopBound.value
                    handler.respond(context, accepted ? 200 : 503, accepted ? "" : "the broker cannot take it now; send it again")
                }
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ status: Int, _ text: String) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(text.utf8.count)")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !text.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil) }
        let keep = keepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
            if !keep { channel.close(promise: nil) }
        }
        context.triggerUserOutboundEvent(WebhookDeadlineHandler.Event.responded, promise: nil)
    }
}
