import ArgumentParser
import Foundation
import Logging

/// Flags every role takes; each overrides the environment.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Journal, state and sockets (default: $TGCLUSTER_DATA_DIR or ./.tgcluster).")
    var dataDir: String?

    @Option(help: "The bot token (default: $TELEGRAM_BOT_TOKEN; prefer the environment or --token-file: flags show in ps).")
    var token: String?

    @Option(name: .customLong("token-file"), help: "A file that holds the bot token (default: $CREDENTIALS_DIRECTORY/telegram-bot-token when systemd passes it with LoadCredential=).")
    var tokenFile: String?

    @Option(name: .customLong("api-url"), help: "The Bot API base URL (default: $TELEGRAM_API_URL or https://api.telegram.org).")
    var apiURL: String?

    @Option(name: .customLong("workers-endpoint"), help: "The broker's endpoint for workers (default: $TGCLUSTER_WORKERS_ENDPOINT or ipc://<data-dir>/workers.sock; tcp://host:port for workers on other machines).")
    var workersEndpoint: String?

    @Option(name: .customLong("ingest-endpoint"), help: "The broker's endpoint for ingest (default: $TGCLUSTER_INGEST_ENDPOINT or ipc://<data-dir>/ingest.sock).")
    var ingestEndpoint: String?

    @Option(name: .customLong("heartbeat"), help: "Heartbeat interval, e.g. 500ms; a peer silent for 4 intervals is dead.")
    var heartbeat: String?

    @Option(name: .customLong("drain-deadline"), help: "Time a stopping process gives work in flight, e.g. 30s.")
    var drainDeadline: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("journal-retention"), help: "How long completed journal segments are kept (for capture export), e.g. 24h.")
    var journalRetention: String?

    @Option(help: "Telegram's flood limits, kept by all processes together: telegram (about 1 message/s per chat, 18/min per group), off, or chat=RATE[/BURST],group=...,global=... in messages/s (default: $TGCLUSTER_FLOOD or telegram).")
    var flood: String?

    @Option(name: .customLong("metrics-listen"), help: "Serve Prometheus metrics (/metrics) and /healthz from the broker at HOST:PORT, e.g. 127.0.0.1:9464 (default: $TGCLUSTER_METRICS_LISTEN, or none).")
    var metricsListen: String?

    @Option(name: .customLong("remote-workers"), help: "Also listen for workers on other hosts at tcp://HOST:PORT, with CURVE (needs --key and --allow-keys) (default: $TGCLUSTER_REMOTE_WORKERS).")
    var remoteWorkers: String?

    @Option(help: "On a worker host: the broker's tcp://HOST:PORT (see --remote-workers) (default: $TGCLUSTER_CONNECT).")
    var connect: String?

    @Option(help: "This process's CURVE certificate with its secret key, from `tgcluster keys new` (default: $TGCLUSTER_KEY).")
    var key: String?

    @Option(name: .customLong("server-key"), help: "On a worker host: the broker's public certificate (default: $TGCLUSTER_SERVER_KEY).")
    var serverKey: String?

    @Option(name: .customLong("allow-keys"), help: "The broker's allow-list: a directory of worker hosts' public certificates (default: $TGCLUSTER_ALLOW_KEYS or <data-dir>/allowed-keys).")
    var allowKeys: String?

    @Flag(name: .customLong("insecure-plaintext"), help: "Allow tcp:// without CURVE: anyone who reaches the port can take or answer jobs.")
    var insecurePlaintext = false

    @Option(help: "This host's name in `tgcluster status` (default: $TGCLUSTER_HOST or the host name).")
    var host: String?

    @Option(help: "How the broker hands jobs to workers with free slots: packed (the first that is making progress, the next when it is full or stalled) or spread (each job to the next in turn) (default: $TGCLUSTER_DISPATCH or packed).")
    var dispatch: String?

    @Flag(name: .customLong("journal-archive"), help: "Move completed journal segments to journal/archive/ instead of deleting them.")
    var journalArchive = false

    func configuration() throws -> ClusterConfiguration {
        var c = ClusterConfiguration.fromEnvironment()
        if let dataDir { c.dataDir = dataDir }
        // --token, then --token-file, then $TELEGRAM_BOT_TOKEN, then systemd's credential.
        if let token {
            c.token = token
        } else if let path = tokenFile ?? (c.token == nil ? ClusterConfiguration.credentialFile() : nil) {
            do { c.token = try ClusterConfiguration.readToken(path) } catch { throw ValidationError("--token-file: \(error)") }
        }
        if let apiURL { c.apiURL = apiURL }
        if let workersEndpoint { c.workersEndpoint = workersEndpoint }
        if let ingestEndpoint { c.ingestEndpoint = ingestEndpoint }
        if let metricsListen { c.metricsListen = metricsListen }
        if let listen = c.metricsListen, HostPort.parse(listen) == nil {
            throw ValidationError("--metrics-listen: expected HOST:PORT, e.g. 127.0.0.1:9464, got \(listen)")
        }
        if let heartbeat { c.heartbeat = try DurationText.parse(heartbeat, flag: "heartbeat") }
        if let drainDeadline { c.drainDeadline = try DurationText.parse(drainDeadline, flag: "drain-deadline") }
        if let journalRetention { c.journalRetention = try DurationText.parse(journalRetention, flag: "journal-retention") }
        c.journalArchive = journalArchive
        if let remoteWorkers { c.remoteWorkersEndpoint = remoteWorkers }
        if let connect { c.connectEndpoint = connect }
        if let key { c.keyFile = key }
        if let serverKey { c.serverKeyFile = serverKey }
        if let allowKeys { c.allowedKeysDirectory = allowKeys }
        if let host { c.host = host }
        c.insecurePlaintext = insecurePlaintext
        if let name = dispatch ?? ProcessInfo.processInfo.environment["TGCLUSTER_DISPATCH"], !name.isEmpty {
            guard let policy = DispatchPolicy(rawValue: name) else {
                throw ValidationError("--dispatch: expected packed or spread, got \(name)")
            }
            c.dispatch = policy
        }
        if let spec = flood ?? ProcessInfo.processInfo.environment["TGCLUSTER_FLOOD"], !spec.isEmpty {
            do { c.flood = try FloodLimits.parse(spec) } catch { throw ValidationError(error.description) }
        }
        return c
    }

    /// Passes these flags on to a child process.
    var forwarded: [String] {
        var out: [String] = []
        if let dataDir { out += ["--data-dir", dataDir] }
        if let apiURL { out += ["--api-url", apiURL] }
        if let workersEndpoint { out += ["--workers-endpoint", workersEndpoint] }
        if let ingestEndpoint { out += ["--ingest-endpoint", ingestEndpoint] }
        if let heartbeat { out += ["--heartbeat", heartbeat] }
        if let drainDeadline { out += ["--drain-deadline", drainDeadline] }
        if let journalRetention { out += ["--journal-retention", journalRetention] }
        if journalArchive { out.append("--journal-archive") }
        if let flood { out += ["--flood", flood] }
        if let dispatch { out += ["--dispatch", dispatch] }
        if let metricsListen { out += ["--metrics-listen", metricsListen] }
        if let remoteWorkers { out += ["--remote-workers", remoteWorkers] }
        if let connect { out += ["--connect", connect] }
        if let key { out += ["--key", key] }
        if let serverKey { out += ["--server-key", serverKey] }
        if let allowKeys { out += ["--allow-keys", allowKeys] }
        if insecurePlaintext { out.append("--insecure-plaintext") }
        if let host { out += ["--host", host] }
        out += ["--log-level", logLevel]
        return out
    }

    func logger(role: String) -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        var logger = Logger(label: "tgcluster.\(role)") { label in RoleLogHandler(label: label, level: level) }
        logger.logLevel = level
        logger[metadataKey: "pid"] = "\(getpid())"
        return logger
    }
}
