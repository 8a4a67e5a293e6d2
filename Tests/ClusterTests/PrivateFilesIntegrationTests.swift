import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// The data directory holds every user's messages: private whatever the umask, an old open one
/// made private, another user's open one refused.
@Suite("Private files (processes)", .serialized)
struct PrivateFilesIntegrationTests {
    /// Every directory, file and socket under `path` with its mode.
    static func modes(under path: String) -> [(path: String, mode: mode_t)] {
        var out: [(String, mode_t)] = []
        var info = stat()
        if lstat(path, &info) == 0 { out.append((path, info.st_mode)) }
        let walker = FileManager.default.enumerator(atPath: path)
        while let name = walker?.nextObject() as? String {
            if lstat(path + "/" + name, &info) == 0 { out.append((path + "/" + name, info.st_mode)) }
        }
        return out
    }

    @Test func aRun_leavesNothingOthersCanRead_andAnOldOpenDataDirIsMadePrivate() async throws {
        // A data dir as the version before this rule left it, and the usual umask.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-private-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        _ = FileManager.default.createFile(atPath: dir + "/old-dead-letter.jsonl", contents: Data("{}\n".utf8), attributes: [.posixPermissions: 0o644])
        let previous = umask(0o022)
        defer { umask(previous) }
        try await withCluster(bot: testBot, workers: 2, dataDir: dir) { cluster in
            try await cluster.sim.generate(40, chats: 4)
            try await cluster.send("/note private", chat: 77)
            try await cluster.waitUntilQuiet()
            let modes = Self.modes(under: dir).filter { !$0.path.hasSuffix("/cluster.log") }  // the test's own file
            let names = Set(modes.map { ($0.path as NSString).lastPathComponent })
            #expect(modes.contains { $0.path.contains("/journal/segment-") }, "the journal was written")
            #expect(names.contains("state.sqlite") && names.contains("state.sqlite-wal"), "the store was written")
            #expect(names.contains("workers.sock"), "the sockets are there")
            let open = modes.filter { $0.mode & 0o077 != 0 }
            #expect(open.isEmpty, "open to others: \(open.map { "\($0.path) \(String($0.mode & 0o777, radix: 8))" })")
            #expect(modes.first { $0.path == dir }.map { $0.mode & 0o777 } == 0o700)
            #expect(cluster.logText().contains("made it and what it holds private"))
            _ = try await cluster.stop()
        }
    }

    /// Needs root to give the directory to another user (CI runs as root).
    @Test(.enabled(if: getuid() == 0)) func anOpenDataDirOfAnotherUser_isRefusedAtStart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-foreign-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Owned by nobody (65534).
        try #require(chown(dir, 65534, 65534) == 0)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-foreign-\(UUID().uuidString.prefix(8)).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let broker = try SpawnedProcess(executable: ClusterHarness.executable(testBot), arguments: ["broker", "--data-dir", dir],
                                        environment: ProcessInfo.processInfo.environment, output: log)
        try await waitUntil("the broker to exit", timeout: .seconds(30)) { !broker.isRunning }
        #expect(broker.terminationStatus == 78, "a boot error, not restarted")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(text.contains("is open to other users"), "\(text)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/workers.sock"), "nothing was created in it")
    }
}
