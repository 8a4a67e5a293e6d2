import ArgumentParser
import Foundation
import ClusterRuntime
import Logging
import ServiceLifecycle
import UnixSignals
import Sim

/// `tgcluster sim`: the local Bot API emulator.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run a local Bot API emulator (long polling, webhooks, the common send methods, a control API under /sim/).",
        discussion: """
        Prints `listening on <host>:<port>` as its first line (use --port 0 for a free port).
        Bot API at http://<host>:<port>/bot<token>/<method>; control API at /sim/ (see README).
        SIGTERM or SIGINT stops it cleanly.
        """
    )

    @Option(help: "Address to bind.") var host = "127.0.0.1"
    @Option(help: "Port; 0 picks a free one.") var port = 8081
    @Option(help: "Accept only this bot token (default: any well-formed token).") var token: String?
    @Option(help: "Latency added to every Bot API answer, e.g. 50ms.") var latency = "0ms"
    @Option(help: "Uniform jitter around the latency, e.g. 5ms.") var jitter = "0ms"
    @Option(help: "Flood limits: telegram (~1 msg/s per chat with bursts of 3, 20/min per group, 30/s overall), strict (the same with no burst in a chat) or off.") var flood = "telegram"
    @Option(name: .customLong("fault-5xx"), help: "Fraction of calls answered with a 502 HTML page.") var fault5xx = 0.0
    @Option(name: .customLong("fault-drop"), help: "Fraction of calls whose connection is dropped.") var faultDrop = 0.0
    @Option(name: .customLong("fault-slow"), help: "Fraction of calls answered after --slow-delay.") var faultSlow = 0.0
    @Option(name: .customLong("slow-delay"), help: "Delay of a slow answer.") var slowDelay = "2s"
    @Option(name: .customLong("first-update-id"), help: "The first update_id handed out.") var firstUpdateID: Int64 = 100_000_000
    @Option(name: .customLong("webhook-timeout"), help: "Time a webhook request may take (Telegram: 60s).") var webhookTimeout = "60s"
    @Option(name: .customLong("webhook-retry-base"), help: "Webhook retry backoff base (Telegram: 2s, doubling to 60s).") var webhookRetryBase = "2s"
    @Option(help: "Event loop threads (default: one per core).") var threads = ProcessInfo.processInfo.activeProcessorCount

    func makeConfiguration() throws -> SimConfiguration {
        var c = SimConfiguration()
        c.host = host
        c.port = port
        c.token = token
        c.latency = try DurationText.parse(latency, flag: "latency")
        c.jitter = try DurationText.parse(jitter, flag: "jitter")
        c.slowDelay = try DurationText.parse(slowDelay, flag: "slow-delay")
        c.webhookTimeout = try DurationText.parse(webhookTimeout, flag: "webhook-timeout")
        c.webhookRetryBase = try DurationText.parse(webhookRetryBase, flag: "webhook-retry-base")
        guard let mode = SimConfiguration.FloodMode(rawValue: flood == "strict" ? "telegram" : flood) else {
            throw ValidationError("--flood must be telegram, strict or off")
        }
        c.flood = mode
        if flood == "strict" { c.floodLimits.perChatBurst = 1 }
        for (value, flag) in [(fault5xx, "fault-5xx"), (faultDrop, "fault-drop"), (faultSlow, "fault-slow")] where !(0...1).contains(value) {
            throw ValidationError("--\(flag) must be between 0 and 1")
        }
        c.fault5xx = fault5xx
        c.faultDrop = faultDrop
        c.faultSlow = faultSlow
        c.firstUpdateID = firstUpdateID
        return c
    }

    func run() async throws {
        let configuration = try makeConfiguration()
        let server: SimServer
        do {
            server = try await SimServer(configuration: configuration, threads: threads)
        } catch {
            CLI.fail("\(error)")
        }
        FileHandle.standardOutput.write(Data("listening on \(configuration.host):\(server.port)\n".utf8))
        FileHandle.standardOutput.synchronizeFile()
        // Serves until SIGTERM or SIGINT, then stops the server (one service in a group).
        let serving = ClosureService {
            try? await gracefulShutdown()
            try await server.shutdown()
        }
        try await ServiceGroup(services: [serving], gracefulShutdownSignals: [.sigterm, .sigint],
                               logger: Logger(label: "tgcluster.sim")).run()
    }
}
