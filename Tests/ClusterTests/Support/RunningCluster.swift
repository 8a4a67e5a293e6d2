import ClusterRuntime
import Foundation
import Sim
import Testing
import TGClusterTesting

/// `tgcluster-testbot run ...` as a real process tree against an in-process sim, for the
/// integration tests: start, inject, wait for replies, kill, scale, stop.
final class RunningCluster: @unchecked Sendable {
    let sim: SimHarness
    let dataDir: String
    let process: SpawnedProcess
    let log: URL

    static var binDir: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent()] where FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("tgcluster-testbot").path) {
            return dir
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/debug")
    }

    init(workers: Int, concurrency: Int = 16, extra: [String] = [], executable: String = "tgcluster-testbot",
         environment: [String: String] = [:], dataDir: String? = nil, firstUpdateID: Int64 = 100_000_000,
         simConfigure: (inout SimConfiguration) -> Void = { _ in }) async throws {
        sim = try await SimHarness.start {
            $0.firstUpdateID = firstUpdateID
            simConfigure(&$0)
        }
        self.dataDir = dataDir ?? "/tmp/tgc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: self.dataDir, withIntermediateDirectories: true)
        log = URL(fileURLWithPath: self.dataDir).appendingPathComponent("cluster.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = sim.token
        env["TELEGRAM_API_URL"] = sim.baseURL
        env["TGCLUSTER_DATA_DIR"] = self.dataDir
        env["TGCLUSTER_FLOOD"] = "off"  // as the harness's emulator, unless a test says otherwise
        env.merge(environment) { $1 }
        process = try SpawnedProcess(
            executable: Self.binDir.appendingPathComponent(executable).path,
            arguments: ["run", "--workers", "\(workers)", "--concurrency", "\(concurrency)", "--poll-timeout", "2",
                        "--heartbeat", "250ms", "--drain-deadline", "10s"] + extra,
            environment: env, output: log.path)
        do {
            try await waitUntil("\(workers) workers and the sequencer ready", timeout: .seconds(60)) {
                self.peers().count == workers + 1
            }
        } catch {
            await cleanUp()
            throw WaitTimeout(what: "\(error)\n\(logText().suffix(3000))")
        }
    }

    /// Peers registered at the broker (from its stats file).
    func peers() -> [BrokerStatus.Peer] {
        broker()?.peers ?? []
    }

    func broker() -> BrokerStatus? {
        BrokerStatus.read(dataDir: dataDir)
    }

    func children() -> [(role: String, pid: pid_t)] {
        (SupervisorStatus.read(dataDir: dataDir)?.children ?? []).map { ($0.role, pid_t($0.pid)) }
    }

    /// Successful sendMessage texts per chat, in arrival order.
    func replies() async throws -> [Int64: [String]] {
        var out: [Int64: [String]] = [:]
        for call in try await sim.transcript() where call["method"] as? String == "sendMessage" && call["ok"] as? Bool == true {
            guard let params = call["params"] as? [String: Any], let text = params["text"] as? String else { continue }
            let chat = (params["chat_id"] as? NSNumber)?.int64Value ?? Int64(params["chat_id"] as? String ?? "") ?? 0
            out[chat, default: []].append(text)
        }
        return out
    }

    func replyCount() async throws -> Int {
        (try await sim.stats())["messages_sent"] as? Int ?? 0
    }

    /// SIGTERM to the supervisor; its exit status.
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        try await waitUntil("the supervisor to exit", timeout: timeout) { !self.process.isRunning }
        return process.terminationStatus
    }

    /// The pid of the first child in `role`.
    func child(_ role: String) -> pid_t? {
        children().first { $0.role == role }?.pid
    }

    func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    func cleanUp(keepData: Bool = false) async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for c in children() where c.pid > 0 { kill(c.pid, SIGKILL) }
        try? await sim.shutdown()
        if !keepData { try? FileManager.default.removeItem(atPath: dataDir) }
    }
}

/// Polls `condition` every 50 ms; throws when `timeout` passes first.
func waitUntil(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw WaitTimeout(what: what)
}

struct WaitTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Whether a process exists.
func isAlive(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
}

/// What chat `chat` should have received for `count` generated messages: "message n to chat c".
func expectedEcho(chats: Int, count: Int, firstChat: Int64 = 100_000) -> [Int64: [String]] {
    var out: [Int64: [String]] = [:]
    for i in 0..<count {
        let chat = firstChat + Int64(i % chats)
        out[chat, default: []].append("message \(i / chats + 1) to chat \(chat)")
    }
    return out
}
