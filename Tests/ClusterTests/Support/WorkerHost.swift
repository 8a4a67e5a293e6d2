import Foundation
import TGClusterTesting

/// `<bot> run --role workers` inside one of a `TestNetwork`'s hosts: a worker pool under its
/// own supervisor, connected to the core host's broker over TCP.
final class WorkerHost: Sendable {
    let process: SpawnedProcess
    let dataDir: String
    let log: URL

    /// `security`: the flags that pick keys (`--key`, `--server-key`) or `--insecure-plaintext`.
    init(network: TestNetwork, host: Int, cluster: ClusterHarness, connect: String, security: [String],
         workers: Int = 2, concurrency: Int = 8) throws {
        dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-host-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        log = URL(fileURLWithPath: dataDir).appendingPathComponent("host.log")
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = cluster.sim.token
        env["TELEGRAM_API_URL"] = cluster.sim.baseURL
        env["TGCLUSTER_DATA_DIR"] = dataDir
        env["TGCLUSTER_FLOOD"] = "off"
        env["SWIFT_BACKTRACE"] = "enable=no"
        process = try SpawnedProcess(
            executable: TestNetwork.ip,
            arguments: network.inHost(host, [ClusterHarness.executable(testBot), "run", "--role", "workers", "--workers", "\(workers)",
                                             "--concurrency", "\(concurrency)", "--connect", connect, "--host", "h\(host)",
                                             "--heartbeat", "250ms", "--drain-deadline", "5s"] + security),
            environment: env, output: log.path)
    }

    func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGTERM, then SIGKILL after `timeout`; removes the data directory.
    func stop(timeout: Duration = .seconds(20)) async {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        try? await waitUntil("the worker host to stop", timeout: timeout) { !self.process.isRunning }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dataDir)
    }
}
