import BotAPI
import Bus
import Wire
import Foundation
import TGBot
import Logging
import ServiceLifecycle
import Synchronization

/// The ingest process (long polling): `getUpdates`, scan, hand the raw updates to the broker,
/// and only when the broker has acknowledged the batch move the offset and poll again, at once.
///
/// Telegram allows one getUpdates in flight and at most 100 updates each, so the time between
/// an answer and the next request caps the whole cluster: nothing else happens in between. A
/// hung poll is abandoned by the client's deadline (poll timeout + margin) and repeated.
final class IngestService: Service {
    /// getUpdates' `limit`, Telegram's largest: a batch this long says more updates wait.
    static let pageSize = 100

    private let bot: Bot
    private let configuration: ClusterConfiguration
    private let client: BotClient
    private let logger: Logger
    private let link: any IngestLink

    /// An ingest process: the broker over ZeroMQ.
    convenience init(bot: Bot, configuration: ClusterConfiguration, client: BotClient, context: ZMQContext, logger: Logger) throws {
        try self.init(bot: bot, configuration: configuration, client: client,
                      link: BrokerLink(configuration: configuration, context: context, logger: logger), logger: logger)
    }

    /// `link`: the broker's, over ZeroMQ or in this process (`LocalIngestLink`).
    init(bot: Bot, configuration: ClusterConfiguration, client: BotClient, link: any IngestLink, logger: Logger) {
        self.bot = bot
        self.configuration = configuration
        self.client = client
        self.logger = logger
        self.link = link
    }

    /// Polls until the process's service group shuts down gracefully (the long poll in flight is
    /// cancelled then). Throws `RoleError.badToken` on 401 (a boot error, not retried).
    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await self.pollUntilCancelled() }
        } catch let error as RoleError {
            throw error
        } catch {
            if !(error is CancellationError) { logger.info("stopped", metadata: ["reason": "\(error)"]) }
        }
    }

    /// Polls until cancelled. On the way out it confirms what the broker accepted (getUpdates
    /// with the new offset and no wait), so that a restart does not fetch those updates again.
    private func pollUntilCancelled() async throws {
        var offset: Int64 = 0
        defer { link.close() }
        // The client's plain-HTTP loop (a Bot API server at an http:// IP address: the local
        // Bot API server, the sim) runs on the same thread: getUpdates' answer is read where
        // the poller waits for it, one thread woken per answer instead of two. It goes back to
        // its own thread when the link's loop stops.
        if let lease = client.lendPlainHTTPLoop() { link.host(PlainHTTPGuest(lease)) }
        do {
            // On the link's bus thread: the answer of getUpdates resumes the poller there, and
            // the broker's ACK, which the bus thread reads, resumes it with no thread woken (two
            // wake-ups of Swift's pool per batch before, each a core's wait under load).
            try await withTaskExecutorPreference(link.executor) { try await poll(&offset) }
        } catch {
            if offset > 0 {
                let confirm = Task.detached { [client] in
                    _ = try? await client.callRaw(BotMethods.GetUpdates(offset: Int(offset), limit: 1, timeout: 0))
                }
                await confirm.value
            }
            throw error
        }
    }

    private func poll(_ offset: inout Int64) async throws {
        let allowed = bot.allowedUpdates
        logger.info("polling", metadata: ["api": "\(configuration.apiURL)", "timeout": "\(configuration.pollTimeout)",
                                          "allowed_updates": "\(allowed)"])
        // A full page's batch, acknowledged: the broker holds its work until this poll, which
        // confirms it to Telegram, is on its way (`Frame.updates`' holdJobs).
        var confirming: UInt64?
        while !Task.isCancelled {
            let body: Data
            if let batch = confirming {
                link.polling(batch)
                confirming = nil
            }
            do {
                body = try await client.callRaw(BotMethods.GetUpdates(offset: offset == 0 ? nil : Int(offset), limit: Self.pageSize,
                                                                     timeout: configuration.pollTimeout, allowedUpdates: allowed))
            } catch let error as BotAPIError {
                if error.errorCode == 401 { throw RoleError.badToken(error.message) }
                let wait: Duration = error.errorCode == 409 ? .seconds(3) : .seconds(1)
                logger.error("getUpdates failed", metadata: ["error": "\(error)", "retry_in": "\(wait)"])
                try await Task.sleep(for: wait)
                continue
            }
            let scanned: [ScannedUpdate]
            do {
                scanned = try UpdateScanner.scanResponse(body)
            } catch {
                logger.error("getUpdates answer does not scan; polling again", metadata: ["error": "\(error)"])
                try await Task.sleep(for: .milliseconds(500))
                continue
            }
            guard let last = scanned.last else { continue }
            let envelopes = scanned.map { UpdateEnvelope($0, in: body) }
            let batch = link.takeBatchID(), full = envelopes.count >= Self.pageSize
            try await deliver(batch, envelopes, holdJobs: full)
            if full { confirming = batch }
            offset = last.updateID + 1
        }
    }

    /// Sends the batch until the broker ACKs it (BUSY: wait and send again; silence: send again).
    private func deliver(_ batch: UInt64, _ envelopes: [UpdateEnvelope], holdJobs: Bool) async throws {
        var silentFor = 0
        while true {
            try Task.checkCancellation()
            switch await link.send(batch, envelopes, holdJobs: holdJobs, timeout: configuration.heartbeat * configuration.liveness) {
            case .ack?:
                return
            case .busy(_, let ms)?:
                logger.debug("broker busy", metadata: ["batch": "\(batch)"])
                try await Task.sleep(for: .milliseconds(Int(ms)))
            default:
                silentFor += 1
                if silentFor == 1 || silentFor % 20 == 0 {
                    logger.warning("no answer from the broker; sending the batch again", metadata: ["batch": "\(batch)", "updates": "\(envelopes.count)"])
                }
            }
        }
    }
}
