import ClusterRuntime
import Foundation
import Sim
import TGClusterTesting

/// One bot's cluster in the chaos run, against an emulator of its own, and the service manager
/// around it: started as `<bot> run`, its supervisor restarted whenever it exits (as systemd's
/// `Restart=always` would), its roles killed on demand, its journal damaged on demand.
///
/// Used from the run's chaos task only (not shared between tasks).
final class ChaosCluster {
    let bot: ChaosPlan.Bot
    let sim: SimHarness
    let dataDir: String
    let logPath: String
    private let executable: String
    private let arguments: [String]
    private let environment: [String: String]
    private(set) var supervisor: SpawnedProcess
    /// Supervisor exits the run did not cause, with their status.
    private(set) var unplannedExits: [Int32] = []
    /// Children still alive `stopGrace` after their supervisor died (killed by the run, as
    /// systemd kills what is left in a unit's cgroup).
    private(set) var orphansKilled = 0

    /// How long children get to notice their supervisor's death and stop on their own.
    static let stopGrace: Duration = .seconds(15)

    init(bot: ChaosPlan.Bot, binDir: URL, workers: Int, concurrency: Int, root: URL,
         configureSim: (inout SimConfiguration) -> Void) async throws {
        self.bot = bot
        sim = try await SimHarness.start(configure: configureSim)
        dataDir = root.appendingPathComponent(bot.rawValue).path
        logPath = root.appendingPathComponent("\(bot.rawValue).log").path
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        _ = FileManager.default.createFile(atPath: logPath, contents: nil, attributes: [.posixPermissions: 0o600])
        executable = binDir.appendingPathComponent(bot.executable).path
        // The bank polls from its broker's process (`--ingest-in-broker`): a broker kill takes
        // its poller too, and the ledger's audit covers that layout; the others run ingest apart.
        arguments = ["run", "--workers", "\(workers)", "--concurrency", "\(concurrency)", "--poll-timeout", "10",
                     "--drain-deadline", "5s"] + (bot == .bank ? ["--ingest-in-broker"] : [])
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = sim.token
        env["TELEGRAM_API_URL"] = sim.baseURL
        env["TGCLUSTER_DATA_DIR"] = dataDir
        env["TGCLUSTER_FLOOD"] = "telegram"
        env["TGCLUSTER_JOURNAL_FAULTS"] = "1"
        if env["SWIFT_BACKTRACE"] == nil { env["SWIFT_BACKTRACE"] = "enable=no" }
        environment = env
        do {
            supervisor = try SpawnedProcess(executable: executable, arguments: arguments, environment: environment, output: logPath)
        } catch {
            try? await sim.shutdown()
            throw error
        }
    }

    /// The supervisor's children (from its status file): role and pid.
    func children() -> [(role: String, pid: pid_t)] {
        (SupervisorStatus.read(dataDir: dataDir)?.children ?? []).map { ($0.role, pid_t($0.pid)) }
    }

    /// Restarts the supervisor if it exited without the run killing it (a halt, a crash).
    func superviseSupervisor() throws {
        guard !supervisor.isRunning else { return }
        unplannedExits.append(supervisor.terminationStatus)
        try restart()
    }

    /// `kill -9` of `role` (a worker chosen by `pick`); the pid killed, or nil when no such
    /// process runs now (being restarted).
    func kill(_ role: ChaosPlan.Role, pick: (Int) -> Int) async throws -> pid_t? {
        if role == .supervisor {
            let pid = supervisor.processIdentifier
            await stopHard()
            try restart()
            return pid
        }
        let candidates = children().filter { $0.role == role.rawValue && Self.isRole($0.pid, role) }
        guard !candidates.isEmpty else { return nil }
        let victim = candidates[pick(candidates.count)].pid
        Foundation.kill(victim, SIGKILL)
        return victim
    }

    /// The supervisor killed, its children given `stopGrace` to stop by themselves, then the
    /// journal's last segment ends in half a record (a crash in the middle of a write), then
    /// the cluster starts again. Returns the bytes appended.
    func tearJournalTail() async throws -> Int {
        await stopHard()
        let journal = URL(fileURLWithPath: dataDir).appendingPathComponent("journal")
        let segments = ((try? FileManager.default.contentsOfDirectory(atPath: journal.path)) ?? [])
            .filter { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }
            .sorted { (Int($0.dropFirst(8).dropLast(4)) ?? 0) < (Int($1.dropFirst(8).dropLast(4)) ?? 0) }
        var torn = 0
        if let last = segments.last, let handle = FileHandle(forUpdatingAtPath: journal.appendingPathComponent(last).path) {
            let record = JournalRecord.completed(updateID: Int64.max).encoded()
            let half = record.prefix(record.count / 2 + 1)
            // Where the next record would have gone: after the last whole one, inside the zeroed
            // room a killed broker leaves after its records (`JournalRoom`).
            let end = JournalReader.read(handle.readDataToEndOfFile()).validEnd
            handle.seek(toFileOffset: UInt64(end))
            handle.write(half)
            try? handle.close()
            torn = half.count
        }
        try restart()
        return torn
    }

    /// Journal writes fail while `journal/FULL` exists (`TGCLUSTER_JOURNAL_FAULTS=1`).
    func setDiskFull(_ full: Bool) {
        let marker = URL(fileURLWithPath: dataDir).appendingPathComponent("journal/FULL").path
        if full {
            try? FileManager.default.createDirectory(atPath: (marker as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: marker, contents: nil)
        } else {
            try? FileManager.default.removeItem(atPath: marker)
        }
    }

    /// SIGTERM to the supervisor; its exit status once it has stopped (-1 if it did not within
    /// `timeout`, and then it is killed).
    func stop(timeout: Duration = .seconds(60)) async -> Int32 {
        Foundation.kill(supervisor.processIdentifier, SIGTERM)
        let end = ContinuousClock.now + timeout
        while supervisor.isRunning, ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(100))
        }
        guard !supervisor.isRunning else {
            await stopHard()
            return -1
        }
        return supervisor.terminationStatus
    }

    /// Kills whatever still runs and stops the emulator.
    func cleanUp() async {
        if supervisor.isRunning { await stopHard() }
        for child in children() where Self.isRole(child.pid, nil) { Foundation.kill(child.pid, SIGKILL) }
        try? await sim.shutdown()
    }

    // MARK: - Helpers

    /// `kill -9` of the supervisor; its children get `stopGrace` to notice and stop, and what
    /// is left is killed (systemd does the same to a unit's cgroup before restarting it).
    private func stopHard() async {
        let children = children().map(\.pid)
        Foundation.kill(supervisor.processIdentifier, SIGKILL)
        while supervisor.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        let end = ContinuousClock.now + Self.stopGrace
        while children.contains(where: { Self.isRole($0, nil) }), ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for pid in children where Self.isRole(pid, nil) {
            orphansKilled += 1
            Foundation.kill(pid, SIGKILL)
        }
    }

    private func restart() throws {
        supervisor = try SpawnedProcess(executable: executable, arguments: arguments, environment: environment, output: logPath)
    }

    /// Whether `pid` is still a tgcluster role process (of `role`, when given): a pid from a
    /// status file may have exited and been reused.
    static func isRole(_ pid: pid_t, _ role: ChaosPlan.Role?) -> Bool {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let argv = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard argv.count > 1 else { return false }
        if let role { return argv[1] == role.rawValue }
        return ChaosPlan.Role.allCases.contains { $0.rawValue == argv[1] }
    }
}
