import Bus
import BotAPI
import Foundation

/// Configuration shared by the roles. Environment first (`TELEGRAM_BOT_TOKEN`,
/// `TELEGRAM_API_URL`, `TGCLUSTER_DATA_DIR`), flags override (see each role's `--help`).
package struct ClusterConfiguration: Sendable {
    /// The bot token; needed by ingest and by the roles that call the Bot API.
    package var token: String?
    package var apiURL = BotClient.Configuration.defaultAPIURL
    /// Journal, state and sockets (`TGCLUSTER_DATA_DIR`, default `./.tgcluster`).
    package var dataDir = "./.tgcluster"
    /// Where the broker listens for ingest; default `ipc://<data-dir>/ingest.sock`.
    package var ingestEndpoint: String?
    /// Where the broker listens for workers and the sequencer; default `ipc://<data-dir>/workers.sock`.
    package var workersEndpoint: String?
    /// Heartbeats both ways at this interval; a peer silent for `liveness` intervals is dead.
    package var heartbeat: Duration = .milliseconds(500)
    package var liveness = 4
    /// Handlers in flight per worker (`--concurrency`).
    package var concurrency = 64
    /// A handler or job running longer than this is treated as a crash (`--deadline`).
    package var jobDeadline: Duration = .seconds(60)
    /// A worker past this resident size is recycled (`--max-worker-memory`; nil: no limit).
    package var maxWorkerMemory: MemoryLimit?
    /// Deliveries of one job before it is dead-lettered.
    package var maxAttempts: UInt8 = 3
    /// getUpdates' long-poll timeout, seconds (Telegram caps it at 50).
    package var pollTimeout = 50
    /// The broker's process long-polls too (`run --ingest-in-broker`, `broker --with-ingest`).
    package var ingestInBroker = false
    /// Time a stopping process gives work in flight to finish.
    package var drainDeadline: Duration = .seconds(30)
    /// Completed journal segments are kept this long (`--journal-retention`), then removed.
    package var journalRetention: Duration = .seconds(24 * 3600)
    /// Move completed segments to `journal/archive/` instead of removing them.
    package var journalArchive = false
    /// The flood limits every process keeps to, together (`--flood`, `TGCLUSTER_FLOOD`); nil sends
    /// at once and only retries 429s.
    package var flood: FloodLimits? = FloodLimits()
    /// Which worker the broker hands a pool job to (`--dispatch`, `TGCLUSTER_DISPATCH`).
    package var dispatch = DispatchPolicy.packed
    /// Where the broker serves `/metrics` and `/healthz` (`--metrics-listen`); nil: not served.
    package var metricsListen: String?
    /// Where the broker also listens for workers on other hosts (`--remote-workers tcp://…`),
    /// with CURVE; nil: local workers only.
    package var remoteWorkersEndpoint: String?
    /// What a worker host's workers connect to (`--connect tcp://…`); nil: the local broker.
    package var connectEndpoint: String?
    /// This process's CURVE certificate with its secret key (`--key`): the broker's for
    /// `--remote-workers`, a worker host's for `--connect`.
    package var keyFile: String?
    /// The broker's public certificate, on a worker host (`--server-key`).
    package var serverKeyFile: String?
    /// The broker's allow-list: a directory of worker hosts' public certificates (`--allow-keys`,
    /// default `<data-dir>/allowed-keys`).
    package var allowedKeysDirectory: String?
    /// `tcp://` without CURVE, said explicitly (`--insecure-plaintext`); warned about at every start.
    package var insecurePlaintext = false
    /// The name this host's peers give the broker (`--host`, default the host name), shown by
    /// `tgcluster status`.
    package var host = ClusterConfiguration.defaultHost
    /// Plain HTTP to an IP address goes through `PlainHTTPLoop`, not libcurl
    /// (`TGCLUSTER_HTTP_CLIENT=curl` turns it off).
    package var plainHTTP = true

    package init() {}

    /// From the process environment.
    package static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ClusterConfiguration {
        var c = ClusterConfiguration()
        c.token = env["TELEGRAM_BOT_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let url = env["TELEGRAM_API_URL"], !url.isEmpty { c.apiURL = url }
        if let dir = env["TGCLUSTER_DATA_DIR"], !dir.isEmpty { c.dataDir = dir }
        if let endpoint = env["TGCLUSTER_WORKERS_ENDPOINT"], !endpoint.isEmpty { c.workersEndpoint = endpoint }
        if let endpoint = env["TGCLUSTER_INGEST_ENDPOINT"], !endpoint.isEmpty { c.ingestEndpoint = endpoint }
        if let listen = env["TGCLUSTER_METRICS_LISTEN"], !listen.isEmpty { c.metricsListen = listen }
        if let endpoint = env["TGCLUSTER_REMOTE_WORKERS"], !endpoint.isEmpty { c.remoteWorkersEndpoint = endpoint }
        if let endpoint = env["TGCLUSTER_CONNECT"], !endpoint.isEmpty { c.connectEndpoint = endpoint }
        if let file = env["TGCLUSTER_KEY"], !file.isEmpty { c.keyFile = file }
        if let file = env["TGCLUSTER_SERVER_KEY"], !file.isEmpty { c.serverKeyFile = file }
        if let dir = env["TGCLUSTER_ALLOW_KEYS"], !dir.isEmpty { c.allowedKeysDirectory = dir }
        if let host = env["TGCLUSTER_HOST"], !host.isEmpty { c.host = host }
        if env["TGCLUSTER_HTTP_CLIENT"] == "curl" { c.plainHTTP = false }
        return c
    }

    /// The name of the token's credential under systemd (`LoadCredential=telegram-bot-token:…`).
    package static let tokenCredential = "telegram-bot-token"

    /// `$CREDENTIALS_DIRECTORY/telegram-bot-token` when systemd passed it (`LoadCredential=`).
    static func credentialFile(_ env: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        guard let dir = env["CREDENTIALS_DIRECTORY"], !dir.isEmpty else { return nil }
        let path = dir + "/" + tokenCredential
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// A token file's first line, trimmed. The error never shows the contents.
    static func readToken(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ConfigurationError("cannot read \(path)") }
        let token = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first?
            .trimmingCharacters(in: .whitespaces) ?? ""
        guard !token.isEmpty else { throw ConfigurationError("\(path) holds no token") }
        return token
    }

    var absoluteDataDir: String {
        URL(fileURLWithPath: dataDir).standardizedFileURL.path
    }

    var ingestSocket: String { ingestEndpoint ?? "ipc://\(absoluteDataDir)/ingest.sock" }
    var workersSocket: String { workersEndpoint ?? "ipc://\(absoluteDataDir)/workers.sock" }
    /// What this host's workers and sequencer connect to.
    var brokerEndpoint: String { connectEndpoint ?? workersSocket }
    /// The broker's allow-list directory.
    var allowedKeysPath: String { allowedKeysDirectory ?? file("allowed-keys").path }

    var controlSocket: String { "ipc://\(absoluteDataDir)/control.sock" }

    /// The host name, as the kernel has it.
    package static var defaultHost: String {
        var name = [CChar](repeating: 0, count: 256)
        return gethostname(&name, name.count) == 0 ? String(nulTerminated: name) : "localhost"
    }

    func file(_ name: String) -> URL {
        URL(fileURLWithPath: absoluteDataDir).appendingPathComponent(name)
    }

    func makeClient(logger: Logger) throws -> BotClient {
        guard let token else { throw RoleError.noToken }
        var client = BotClient.Configuration(token: token, apiURL: apiURL)
        // Still correct without it: 429s are retried after retry_after.
        client.limiter = openFloodGate(logger: logger, unavailable: "flood limits off")
        // As many idle connections kept as handlers can call at once: with fewer, every burst
        // beyond the pool closes its connections and the next opens new ones (a TCP, and with
        // Telegram a TLS, handshake per call).
        client.curl.maxIdleConnections = max(client.curl.maxIdleConnections, concurrency)
        if plainHTTP {
            client.plainHTTP?.maxIdleConnections = client.curl.maxIdleConnections
        } else {
            client.plainHTTP = nil
        }
        return BotClient(configuration: client, logger: logger)
    }

    /// This host's shared table of the rate-limit middlewares (`<data-dir>/ratelimit.shm`); this
    /// process's own when it cannot be opened (logged: the limits then hold per process).
    func openRateTable(logger: Logger) -> RateTable {
        do {
            _ = try? DataDirectory.prepare(absoluteDataDir)
            return try RateTable(path: file("ratelimit.shm").path)
        } catch {
            logger.warning("rate limits per process: the shared table cannot be opened", metadata: ["error": "\(error)"])
            return RateTable()
        }
    }

    /// This host's shared flood table (`<data-dir>/flood.shm`); nil when limits are off or it
    /// cannot be opened (logged with `unavailable`, what that means for the caller).
    func openFloodGate(logger: Logger, unavailable: String) -> FloodGate? {
        guard let flood else { return nil }
        do {
            _ = try? DataDirectory.prepare(absoluteDataDir)
            return try FloodGate(path: file("flood.shm").path, limits: flood)
        } catch {
            logger.warning("\(unavailable): the shared table cannot be opened", metadata: ["error": "\(error)"])
            return nil
        }
    }
}

import Logging

/// Why a role cannot start: reported, and the process exits with `RoleError.bootFailure` so
/// the supervisor halts instead of restart-looping.
enum RoleError: Error, CustomStringConvertible {
    case noToken
    case badToken(String)
    case cannotListen(String)

    /// EX_CONFIG from sysexits.h.
    static let bootFailure: Int32 = 78
    /// A handler ran past its deadline; the process is restarted.
    static let hung: Int32 = 70
    /// The sequencer's store could not commit (EX_IOERR): restarted with backoff.
    static let storeFailure: Int32 = 74
    /// A worker host's worker lost the broker with jobs in flight (EX_TEMPFAIL): restarted.
    static let lostBroker: Int32 = 75
    /// A worker past `--max-worker-memory` left to be replaced: restarted at once, not a crash.
    /// (Outside sysexits' range: it is not an error.)
    static let recycled: Int32 = 79

    var description: String {
        switch self {
        case .noToken: return "no bot token: set TELEGRAM_BOT_TOKEN or pass --token"
        case .badToken(let m): return "the Bot API rejected the token: \(m)"
        case .cannotListen(let m): return "cannot listen: \(m)"
        }
    }
}

/// A configuration value that cannot be used; says which, never the secret.
struct ConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
