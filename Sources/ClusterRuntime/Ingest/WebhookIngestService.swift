import BotAPI
import Bus
import Wire
import Foundation
import TGBot
import Logging
import ServiceLifecycle

/// The ingest process in webhook mode: the HTTP server, the broker link, and (with
/// `--register`) the `setWebhook` call that points Telegram at it.
final class WebhookIngestService: Sendable {
    private let bot: Bot
    private let configuration: ClusterConfiguration
    private let options: WebhookOptions
    private let client: BotClient
    private let logger: Logger
    private let link: BrokerLink

    init(bot: Bot, configuration: ClusterConfiguration, options: WebhookOptions, client: BotClient, context: ZMQContext, logger: Logger) throws {
        self.bot = bot
        self.configuration = configuration
        self.options = options
        self.client = client
        self.logger = logger
        link = try BrokerLink(configuration: configuration, context: context, logger: logger)
    }

    /// Serves until `stop` completes. Throws `RoleError` for what is a boot error (a port that
    /// cannot be bound, a certificate that does not load, a token Telegram refuses).
    func run(until stop: @escaping @Sendable () async -> Void) async throws {
        defer { link.close() }
        guard let (host, port) = options.hostPort else { throw RoleError.cannotListen("--listen \(options.listen)") }
        let policy = WebhookPolicy(path: options.path, secret: try options.resolvedSecret(), maxBodyBytes: options.maxBody)
        let link = self.link
        let timeout = configuration.heartbeat * configuration.liveness
        let deadLetters = configuration.file("dead-letter.jsonl")
        let logger = self.logger
        let server: WebhookServer
        do {
            server = try await WebhookServer(
                configuration: .init(host: host, port: port, policy: policy, tlsCertificate: options.tlsCert, tlsKey: options.tlsKey,
                                     deadlines: try options.deadlines(), maxOpen: options.maxOpen),
                submit: { envelope in
                    if case .ack? = await link.send(link.takeBatchID(), [envelope], timeout: timeout) { return true }
                    return false
                },
                malformed: { reason, body in
                    logger.error("webhook: a request body that is not an update; answered 400", metadata: ["reason": "\(reason)"])
                    var entry = DeadLetterEntry(reason: reason)
                    entry.source = "webhook"
                    entry.body = String(decoding: body.prefix(65_536), as: UTF8.self)
                    entry.append(to: deadLetters)
                },
                logger: logger)
        } catch {
            throw RoleError.cannotListen("\(options.listen): \(error)")
        }
        logger.info("webhook listening", metadata: ["listen": "\(host):\(server.port)", "path": "\(policy.path)", "tls": "\(options.tlsCert != nil)",
                                                    "secret": "\(policy.secret != nil)"])
        if options.register, let url = options.url {
            do {
                _ = try await client.call(BotMethods.SetWebhook(url: url, maxConnections: options.maxConnections,
                                                                allowedUpdates: bot.allowedUpdates, secretToken: policy.secret))
                logger.info("webhook registered", metadata: ["max_connections": "\(options.maxConnections)"])
            } catch let error as BotAPIError where error.errorCode == 401 {
                await server.shutdown()
                throw RoleError.badToken(error.message)
            }
        }
        await stop()
        await server.shutdown()
    }
}

extension WebhookIngestService: Service {
    /// Serves until the process's service group shuts down gracefully (SIGTERM, SIGINT).
    func run() async throws {
        try await run(until: { try? await gracefulShutdown() })
    }
}
