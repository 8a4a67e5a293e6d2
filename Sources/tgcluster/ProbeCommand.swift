import ArgumentParser
import BotAPI
import Foundation

/// `tgcluster probe`: how far is the Bot API from here?
struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Time calls to the Bot API, phase by phase (the guide's server-location test).",
        discussion: """
        Makes N calls through tgcluster's libcurl client and prints min / median / p95 / max of
        name lookup, connect, TLS handshake, pretransfer, start transfer and total, with a
        verdict: a good connection is ≤ 50 ms, Central Europe ≤ 15 ms.
        Token from TELEGRAM_BOT_TOKEN, base URL from TELEGRAM_API_URL (default \(BotClient.Configuration.defaultAPIURL)).
        """
    )

    @Option(name: .shortAndLong, help: "Number of calls.")
    var count = 10

    @Option(help: "The Bot API method to call (one that takes no parameters).")
    var method = "getMe"

    @Flag(help: "Print the report as JSON.")
    var json = false

    @Flag(help: "Reuse one kept-alive connection instead of a new connection per call.")
    var reuse = false

    @Option(help: "The bot token (default: $TELEGRAM_BOT_TOKEN).")
    var token: String?

    @Option(name: .customLong("api-url"), help: "The Bot API base URL (default: $TELEGRAM_API_URL or \(BotClient.Configuration.defaultAPIURL)).")
    var apiURL: String?

    func validate() throws {
        guard (1...10_000).contains(count) else { throw ValidationError("--count must be between 1 and 10000") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let token = token ?? environment["TELEGRAM_BOT_TOKEN"], !token.isEmpty else {
            CLI.fail("no bot token: set TELEGRAM_BOT_TOKEN or pass --token", code: 2)
        }
        let base = apiURL ?? environment["TELEGRAM_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? BotClient.Configuration.defaultAPIURL
        var configuration = BotClient.Configuration(token: token, apiURL: base)
        configuration.retry = .none
        let client = BotClient(configuration: configuration)
        defer { client.shutdown() }
        do {
            let report = try await Probe(method: method, count: count, freshConnections: !reuse).run(with: client)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(report.rendered())
            }
        } catch let error as BotAPIError {
            client.shutdown()
            switch (error.kind, error.errorCode) {
            case (.api, 401?):
                CLI.fail("the Bot API at \(configuration.apiURL) rejected the token (401 \(error.message))")
            case (.api, 404?):
                CLI.fail("the Bot API at \(configuration.apiURL) has no method \(method) or no such bot (404 \(error.message))")
            case (.network, _), (.timeout, _):
                CLI.fail("cannot reach the Bot API at \(configuration.apiURL): \(error.message)")
            default:
                CLI.fail("\(error)")
            }
        }
    }
}

enum CLI {
    /// Prints `error: <message>` to stderr and exits: a clear line, not a stack trace.
    static func fail(_ message: String, code: Int32 = 1) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(code)
    }
}
