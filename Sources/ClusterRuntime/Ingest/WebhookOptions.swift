import ArgumentParser
import Foundation

/// The webhook flags of `ingest` and `run` (`run` passes them to its ingest processes).
struct WebhookOptions: ParsableArguments {
    @Flag(help: "Receive updates by webhook instead of long polling.")
    var webhook = false

    @Option(help: "host:port the webhook listens on.")
    var listen = "0.0.0.0:8443"

    @Option(help: "The package URL Telegram posts to (its path is the one accepted), e.g. https://example.org/tg/<secret-path>.")
    var url: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate (chain) to serve HTTPS; plain HTTP (behind a proxy) without it.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(help: "The X-Telegram-Bot-Api-Secret-Token every request must carry (prefer --secret-file: flags show in ps).")
    var secret: String?

    @Option(name: .customLong("secret-file"), help: "A file holding the secret token.")
    var secretFile: String?

    @Flag(help: "Call setWebhook at start (url, secret, max_connections, allowed_updates); with polling, deleteWebhook.")
    var register = false

    @Option(name: .customLong("max-body"), help: "Largest request body accepted, bytes (413 above; Telegram's updates are at most 512 KiB).")
    var maxBody = 1 << 20

    @Option(name: .customLong("max-connections"), help: "max_connections for setWebhook (1-100).")
    var maxConnections = 40

    @Option(name: .customLong("max-open"), help: "Connections the webhook keeps open at once; more are closed at once (Telegram uses up to --max-connections).")
    var maxOpen = 256

    @Option(name: .customLong("request-timeout"), help: "A request must arrive whole within this of its first byte; a slower client is closed.")
    var requestTimeout = "10s"

    @Option(name: .customLong("idle-timeout"), help: "An idle keep-alive connection is closed after this.")
    var idleTimeout = "60s"

    func validate() throws {
        guard webhook else { return }
        guard hostPort != nil else { throw ValidationError("--listen must be host:port") }
        if register, url == nil { throw ValidationError("--register needs --url") }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        guard (1...100).contains(maxConnections) else { throw ValidationError("--max-connections must be 1...100") }
        guard maxOpen > maxConnections else { throw ValidationError("--max-open must be more than --max-connections (Telegram's own)") }
        _ = try deadlines()
        if let s = try resolvedSecret(), !WebhookPolicy.isValidSecret(s) {
            throw ValidationError("the secret must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        }
    }

    /// `--request-timeout` and `--idle-timeout`.
    func deadlines() throws -> WebhookDeadlines.Limits {
        var limits = WebhookDeadlines.Limits()
        limits.request = try DurationText.parse(requestTimeout, flag: "request-timeout")
        limits.idle = try DurationText.parse(idleTimeout, flag: "idle-timeout")
        guard limits.request > .zero, limits.idle > .zero else { throw ValidationError("--request-timeout and --idle-timeout must be more than 0") }
        return limits
    }

    var hostPort: (String, Int)? {
        HostPort.parse(listen).map { ($0.host, $0.port) }
    }

    var path: String { url.flatMap { URL(string: $0)?.path }.flatMap { $0.isEmpty ? nil : $0 } ?? "/" }

    func resolvedSecret() throws -> String? {
        if let secret { return secret }
        guard let secretFile else { return nil }
        guard let text = try? String(contentsOfFile: secretFile, encoding: .utf8) else { throw ValidationError("cannot read --secret-file \(secretFile)") }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The same flags, for the supervisor's ingest children.
    var forwarded: [String] {
        guard webhook || register else { return [] }
        var out: [String] = []
        if webhook {
            out += ["--webhook", "--listen", listen, "--max-body", "\(maxBody)", "--max-connections", "\(maxConnections)",
                    "--max-open", "\(maxOpen)", "--request-timeout", requestTimeout, "--idle-timeout", idleTimeout]
        }
        if let url { out += ["--url", url] }
        if let tlsCert, let tlsKey { out += ["--tls-cert", tlsCert, "--tls-key", tlsKey] }
        if let secret { out += ["--secret", secret] }
        if let secretFile { out += ["--secret-file", secretFile] }
        if register { out.append("--register") }
        return out
    }
}
