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
        if let metricsListen { out += ["--metrics-listen", metricsListen] }
        out += ["--log-level", logLevel]
        return out
    }

    func logger(role: String) -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        var logger = Logger(label: "tgcluster.\(role)") { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        logger.logLevel = level
        logger[metadataKey: "pid"] = "\(getpid())"
        return logger
    }
}
