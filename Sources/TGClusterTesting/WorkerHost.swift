import Foundation

/// `<bot> run --role workers` inside one of a `TestNetwork`'s hosts: a worker pool under its
/// own supervisor, connected to the core host's broker over TCP. Its emulator is the one at
/// `apiURL` with `token` (the core host's).
public final class WorkerHost: Sendable {
    public let process: SpawnedProcess
    public let dataDir: String
    public let log: URL

    /// `bot`: the bot's executable (see `ClusterHarness.executable`). `security`: the flags that
    /// pick keys (`--key`, `--server-key`) or `--insecure-plaintext`.
    public init(bot: String, network: TestNetwork, host: Int, apiURL: String, token: String, connect: String, security: [String],
                workers: Int = 2, concurrency: Int = 8, environment: [String: String] = [:]) throws {
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-host-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        log = URL(fileURLWithPath: dataDir).appendingPathComponent("host.log")
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = token
        env["TELEGRAM_API_URL"] = apiURL
        env["TGCLUSTER_DATA_DIR"] = dataDir
        env["TGCLUSTER_FLOOD"] = "off"
        env["SWIFT_BACKTRACE"] = "enable=no"
        env.merge(environment) { $1 }
        process = try SpawnedProcess(
            executable: TestNetwork.ip,
            arguments: network.inHost(host, [ClusterHarness.executable(bot), "run", "--role", "workers", "--workers", "\(workers)",
                                             "--concurrency", "\(concurrency)", "--connect", connect, "--host", "h\(host)",
                                             "--heartbeat", "250ms", "--drain-deadline", "5s"] + security),
            environment: env, output: log.path)
    }

    public func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL after `timeout`; removes the data directory.
    public func stop(timeout: Duration = .seconds(20)) async {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        try? await waitUntil("the worker host to stop", timeout: timeout) { !self.process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dataDir)
    }
}
