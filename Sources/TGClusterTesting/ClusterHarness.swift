import BotAPI
import ClusterRuntime
import Foundation
import Sim

/// A bot's whole cluster as real processes (`<bot> run`: supervisor, broker, sequencer,
/// ingest, workers) against an emulator in the test process: start, feed updates, wait until
/// quiet, read the calls, stop. `withCluster` wraps it so that every path cleans up.
///
/// `bot` is the bot's executable: a path, or the name of a product of the package under test
/// (looked up beside the test bundle, where `swift build --build-tests` puts it).
public final class ClusterHarness: Sendable {
    public let sim: SimHarness
    /// The cluster's data directory (journal, store, status files, logs).
    public let dataDir: String
    /// The supervisor's process.
    public let process: SpawnedProcess
    /// Everything the cluster's processes wrote (stdout and stderr).
    public let log: URL

    /// The directory of the package's built products.
    public static var binDir: URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [beside, beside.deletingLastPathComponent(),
                          URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/debug")]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) && Self.hasProducts($0) } ?? beside
    }

    private static func hasProducts(_ dir: URL) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).contains { $0.hasSuffix(".swiftmodule") || $0 == "Modules" }
    }

    /// The bot's executable: `bot` itself if it is a path, else the product of that name.
    public static func executable(_ bot: String) -> String {
        bot.contains("/") ? bot : binDir.appendingPathComponent(bot).path
    }

    /// Starts `<bot> run` with `workers` workers against a new emulator and waits until the
    /// workers and the sequencer are registered at the broker. Flood limits are off on both
    /// sides unless `environment` or `simConfigure` turn them on; heartbeats are fast (250 ms).
    public init(bot: String, workers: Int = 2, concurrency: Int = 16, extra: [String] = [],
                environment: [String: String] = [:], dataDir: String? = nil, firstUpdateID: Int64 = 100_000_000,
                simConfigure: (inout SimConfiguration) -> Void = { _ in }) async throws {
        sim = try await SimHarness.start {
            $0.firstUpdateID = firstUpdateID
            simConfigure(&$0)
        }
        self.dataDir = dataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("tgc-\(UUID().uuidString.prefix(8))").path
        log = URL(fileURLWithPath: self.dataDir).appendingPathComponent("cluster.log")
        // From the spawn until ready: the start's CPU, not the whole run (`StartGate`).
        await StartGate.shared.acquire()
        defer { StartGate.shared.release() }
        do {
            // Private, as the cluster would make it (a given directory is left as it is: the
            // cluster checks it).
            if dataDir == nil {
                try FileManager.default.createDirectory(atPath: self.dataDir, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } else {
                try FileManager.default.createDirectory(atPath: self.dataDir, withIntermediateDirectories: true)
            }
            _ = FileManager.default.createFile(atPath: log.path, contents: nil, attributes: [.posixPermissions: 0o600])
            var env = ProcessInfo.processInfo.environment
            env["TELEGRAM_BOT_TOKEN"] = sim.token
            env["TELEGRAM_API_URL"] = sim.baseURL
            env["TGCLUSTER_DATA_DIR"] = self.dataDir
            env["TGCLUSTER_FLOOD"] = "off"  // as the harness's emulator, unless a test says otherwise
            // A crash still prints its fatal error; the symbolicated backtrace (seconds of CPU
            // per crash) is left out unless asked for, so crash tests do not load the machine.
            if env["SWIFT_BACKTRACE"] == nil { env["SWIFT_BACKTRACE"] = "enable=no" }
            env.merge(environment) { $1 }
            // A short heartbeat finds a dead peer fast; a slowed run (TestBounds) stretches it, or
            // peers only slow would be declared lost and their work run twice.
            let heartbeat = Int((TestBounds.notStuck(.milliseconds(250)) / .milliseconds(1)).rounded())
            process = try SpawnedProcess(
                executable: Self.executable(bot),
                arguments: ["run", "--workers", "\(workers)", "--concurrency", "\(concurrency)", "--poll-timeout", "2",
                            "--heartbeat", "\(heartbeat)ms", "--drain-deadline", "10s"] + extra,
                environment: env, output: log.path)
        } catch {
            try? await sim.shutdown()
            throw error
        }
        do {
            try await waitUntil("\(workers) workers and the sequencer ready", timeout: .seconds(60)) {
                // A cluster that halted at boot (a port it cannot bind, a bad key) fails the wait
                // at once, with its status, not after the timeout.
                guard self.process.isRunning else { throw ClusterHarnessError(message: "the cluster exited while starting, status \(self.process.terminationStatus)", log: "") }
                return self.peers().count == workers + 1
            }
        } catch {
            // The log first: it lives in the data directory, which the clean-up removes (a start
            // that timed out reported an empty log).
            let text = logText()
            await cleanUp()
            throw ClusterHarnessError(message: (error as? ClusterHarnessError)?.message ?? "\(error)", log: text)
        }
    }

    // MARK: - Feeding and reading

    /// A private text message from user `chat`; its update id.
    @discardableResult
    public func send(_ text: String, chat: Int64) async throws -> Int64 {
        try await sim.inject(text: text, chatID: chat)
    }

    /// Every Bot API call the bot made so far, oldest first.
    public func calls() async throws -> [BotCall] {
        try await sim.transcript().compactMap(BotCall.init(transcriptEntry:))
    }

    /// Successful sendMessage texts per chat, in arrival order.
    public func replies() async throws -> [Int64: [String]] {
        var out: [Int64: [String]] = [:]
        for call in try await calls() where call.method == "sendMessage" && call.ok {
            guard let text = call.text else { continue }
            out[call.chatID ?? 0, default: []].append(text)
        }
        return out
    }

    /// Messages the bot has sent (the emulator's count).
    public func replyCount() async throws -> Int {
        (try await sim.stats())["messages_sent"] as? Int ?? 0
    }

    /// Returns once the cluster is quiet: every injected update delivered, the broker holding
    /// no work (in a status it wrote during the quiet time; it writes one a second), and no new
    /// Bot API call for `idle`. Throws after `timeout`. Both times `TestBounds.slowdown`.
    public func waitUntilQuiet(idle: Duration = .milliseconds(1500), timeout: Duration = .seconds(60)) async throws {
        let idle = TestBounds.notStuck(idle)
        var lastCount = -1
        var quietSince = ContinuousClock.now
        var quietSinceWall = Date().timeIntervalSince1970
        try await waitUntil("the cluster to be quiet", timeout: timeout) {
            let stats = try await self.sim.stats()
            let count = stats["transcript_calls"] as? Int ?? 0
            let undelivered = stats["updates_pending"] as? Int ?? 0
            let broker = self.broker()
            if count != lastCount || undelivered > 0 || (broker?.pending ?? 1) > 0 {
                lastCount = count
                quietSince = .now
                quietSinceWall = Date().timeIntervalSince1970
                return false
            }
            return ContinuousClock.now - quietSince >= idle && (broker?.time ?? 0) >= quietSinceWall
        }
    }

    /// SIGTERM (or `signal`) to the supervisor; its exit status once it has stopped.
    public func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(60)) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        try await waitUntil("the supervisor to exit", timeout: timeout) { !self.process.isRunning }
        return process.terminationStatus
    }

    /// Kills whatever still runs, stops the emulator, removes the data directory (unless kept).
    public func cleanUp(keepData: Bool = false) async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for c in children() where c.pid > 0 { kill(c.pid, SIGKILL) }
        try? await sim.shutdown()
        if !keepData { try? FileManager.default.removeItem(atPath: dataDir) }
    }

    /// The processes' output so far.
    public func logText() -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// The log's notices, warnings and errors so far (a peer declared lost, a child restarted, a
    /// Bot API call retried): what explains a duplicate or a gap when a test's expectation fails,
    /// where the log's end alone has scrolled past it.
    public func incidents() -> String {
        let lines = logText().split(separator: "\n").filter { line in
            [" notice ", " warning ", " error ", " critical "].contains { line.contains($0) }
        }
        return lines.isEmpty ? "(no notice, warning or error in the cluster's log)" : lines.suffix(40).joined(separator: "\n")
    }

    // MARK: - The runtime's own view (for tgcluster's tests)

    /// Peers registered at the broker (from its status file).
    package func peers() -> [BrokerStatus.Peer] {
        broker()?.peers ?? []
    }

    package func broker() -> BrokerStatus? {
        BrokerStatus.read(dataDir: dataDir)
    }

    /// The supervisor's children: role and pid.
    public func children() -> [(role: String, pid: pid_t)] {
        (SupervisorStatus.read(dataDir: dataDir)?.children ?? []).map { ($0.role, pid_t($0.pid)) }
    }

    /// The pid of the first child in `role` (`broker`, `sequencer`, `ingest`, `worker`).
    public func child(_ role: String) -> pid_t? {
        children().first { $0.role == role }?.pid
    }
}

/// Runs `body` with a bot's cluster started (see `ClusterHarness.init`); stops it (SIGTERM,
/// then what is left is killed) and removes its data on every path. An error out of `body`
/// comes back with the tail of the cluster's log.
///
/// ```swift
/// try await withCluster(bot: "greeterbot", workers: 2) { cluster in
///     try await cluster.send("/start", chat: 42)
///     try await cluster.waitUntilQuiet()
///     #expect(try await cluster.replies()[42] == ["Hello!"])
/// }
/// ```
public func withCluster<T>(bot: String, workers: Int = 2, concurrency: Int = 16, extra: [String] = [],
                           environment: [String: String] = [:], dataDir: String? = nil, firstUpdateID: Int64 = 100_000_000,
                           keepData: Bool = false, simConfigure: (inout SimConfiguration) -> Void = { _ in },
                           _ body: (ClusterHarness) async throws -> T) async throws -> T {
    let cluster = try await ClusterHarness(bot: bot, workers: workers, concurrency: concurrency, extra: extra, environment: environment,
                                           dataDir: dataDir, firstUpdateID: firstUpdateID, simConfigure: simConfigure)
    do {
        let result = try await body(cluster)
        if cluster.process.isRunning { _ = try? await cluster.stop() }
        await cluster.cleanUp(keepData: keepData)
        return result
    } catch {
        let log = cluster.logText()
        await cluster.cleanUp(keepData: keepData)
        throw ClusterHarnessError(message: "\(error)", log: log)
    }
}

/// A cluster test failed: the error, and the end of the cluster's log to explain it.
public struct ClusterHarnessError: Error, CustomStringConvertible {
    public var message: String
    public var log: String
    public var description: String { "\(message)\n--- the cluster's log (end) ---\n\(log.suffix(3000))" }
}

/// Polls `condition` every 50 ms; throws when `timeout` (times `TestBounds.slowdown`) passes
/// first.
public func waitUntil(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + TestBounds.notStuck(timeout)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw WaitTimeout(what: what)
}

/// `waitUntil` gave up.
public struct WaitTimeout: Error, CustomStringConvertible {
    public var what: String
    public init(what: String) { self.what = what }
    public var description: String { "timed out waiting for \(what)" }
}
