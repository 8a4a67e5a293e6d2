import ClusterRuntime
import Foundation
import Logging
import Testing
import TGClusterTesting

/// Issue 17, item 7: an upgrade is a stop of the whole cluster and a start of the next build on
/// the same data directory. Stopped in the middle of a load (updates journaled and not yet
/// handled), the next build (one handler more, so another handler-table fingerprint) handles
/// each of them once, keeps the old state and fires the old build's scheduled job; a worker of
/// the old build that joins the new cluster is refused and runs nothing.
@Suite("Upgrade (processes)", .serialized)
struct UpgradeIntegrationTests {
    static let chats = 10
    static let perChat = 200

    @Test func theNextBuild_onTheSameDataDir_handlesEveryJournaledUpdateOnce_keepsStateAndTimers_refusesTheOldWorkers() async throws {
        // A drain deadline far shorter than the queue: the stop leaves journaled updates unhandled
        // (300 ms was once enough for a fast run to drain the whole queue in the suite).
        try await withCluster(bot: testBot, workers: 2, concurrency: 8, extra: ["--drain-deadline", "10ms"]) { cluster in
            // Under the old build: state (three notes), a load over ten chats (each chat's updates
            // run in order, so a queue forms at the broker), and a timer due after the upgrade.
            try await Self.noteThrice(cluster)
            try await cluster.send("/version", chat: 9)
            _ = try await cluster.sim.generate(Self.chats * Self.perChat, chats: Self.chats, firstChatID: 100_000)
            try await waitUntil("a third of the load answered", timeout: .seconds(60)) {
                try await cluster.replyCount() >= Self.chats * Self.perChat / 3
            }
            try await Self.setATimer(cluster, seconds: 6)  // (see there: why just before the stop)
            // The stop (SIGTERM, as `systemctl stop` sends it).
            #expect(try await cluster.stop() == 0)
            let unfinishedTexts = try Self.unfinishedTexts(dataDir: cluster.dataDir)
            let unfinished = unfinishedTexts.count
            let before = try await cluster.replies()
            let answeredBefore = before.values.reduce(0) { $0 + $1.count }
            #expect(unfinished > 0, "the stop should leave work in the journal (the test proves nothing otherwise)")
            #expect(before[9] == nil, "the old build has no /version handler")
            #expect(before[8] == ["later: once"], "the timer is due after the stop")

            // The next build: the same executable with one handler more.
            let env = Self.environment(cluster)
            var next = env
            next["TESTBOT_VERSION"] = "2"
            let upgraded = try SpawnedProcess(executable: ClusterHarness.executable(testBot),
                                              arguments: ["run", "--workers", "2", "--concurrency", "8", "--poll-timeout", "2", "--heartbeat", "250ms"],
                                              environment: next, output: cluster.dataDir + "/upgraded.log")
            defer {
                if upgraded.isRunning { kill(upgraded.processIdentifier, SIGKILL) }
            }
            try await waitUntil("the next build ready", timeout: .seconds(60)) { cluster.peers().count == 3 }

            // A worker of the old build joins: refused (78), and nothing reaches it.
            try await Self.expectRefused(oldWorkerWith: env, dataDir: cluster.dataDir)

            try await cluster.send("/note", chat: 7)
            try await cluster.send("/version", chat: 9)
            do {
                try await waitUntil("the load, the note, the version and the timer", timeout: .seconds(120)) {
                    let r = try await cluster.replies()
                    return (100_000..<100_000 + Int64(Self.chats)).allSatisfy { (r[$0]?.count ?? 0) >= Self.perChat }
                        && r[7]?.last == "notes: 4" && r[9] != nil && (r[8]?.count ?? 0) >= 2
                }
            } catch {
                let r = try await cluster.replies()
                let counts = (100_000..<100_000 + Int64(Self.chats)).map { r[$0]?.count ?? 0 }
                let log = (try? String(contentsOfFile: cluster.dataDir + "/upgraded.log", encoding: .utf8)) ?? ""
                Issue.record("\(error): load \(counts), notes \(r[7] ?? []), timer \(r[8] ?? []), version \(r[9] ?? []); \(log.suffix(3000))")
                throw error
            }
            try await Task.sleep(for: .seconds(1))
            let replies = try await cluster.replies()
            // Each update of the load answered, in its chat's order, across the upgrade. A job the
            // drain deadline cut short (one per chat at most: a chat's jobs run one at a time) had
            // answered and runs again (at-least-once); every other journaled update, once.
            var repeats = 0
            for c in 0..<Self.chats {
                let chat = 100_000 + Int64(c)
                let got = replies[chat] ?? []
                let distinct = got.enumerated().filter { $0.offset == 0 || got[$0.offset - 1] != $0.element }.map(\.element)
                repeats += got.count - distinct.count
                #expect(distinct == (1...Self.perChat).map { "message \($0) to chat \(chat)" }, "chat \(chat)")
            }
            #expect(repeats <= Self.chats, "\(repeats) repeats: at most the jobs in flight at the stop")
            let untouched = unfinishedTexts.filter { !(before[$0.chat] ?? []).contains($0.text) }
            #expect(untouched.count >= unfinished - Self.chats)
            for u in untouched { #expect(replies[u.chat]?.filter { $0 == u.text }.count == 1, "\(u.text): once") }
            #expect(replies[7] == ["notes: 1", "notes: 2", "notes: 3", "notes: 4"], "the store carried over")
            #expect(replies[8] == ["later: once", "beep once"], "the old build's timer fired once, under the new one")
            #expect(replies[9] == ["version 2"], "the new build has the handler")
            print("upgrade: \(unfinished) updates journaled and unhandled at the stop (\(untouched.count) not yet started), "
                  + "\(answeredBefore) replies before it; after it each once, \(repeats) jobs cut by the drain deadline repeated")
            kill(upgraded.processIdentifier, SIGTERM)
            try await waitUntil("the next build to stop", timeout: .seconds(60)) { !upgraded.isRunning }
            #expect(upgraded.terminationStatus == 0)
        }
    }

    /// Three `/note`s in chat 7 (the store).
    static func noteThrice(_ cluster: ClusterHarness) async throws {
        for _ in 0..<3 { try await cluster.send("/note", chat: 7) }
        try await waitUntil("the notes", timeout: .seconds(30)) { try await cluster.replies()[7]?.last == "notes: 3" }
    }

    /// A `/later` timer in chat 8 (the JobQueue), due `seconds` after its handler committed it:
    /// set just before the stop, so that it falls due after it however long the load took (set
    /// at the start, 12 s ahead, it fell due under the old build on a slow run; its job, cut by
    /// the drain deadline after its reply, ran again: "beep once" twice).
    static func setATimer(_ cluster: ClusterHarness, seconds: Int) async throws {
        try await cluster.send("/later \(seconds) once", chat: 8)
        try await waitUntil("the timer set", timeout: .seconds(30)) { try await cluster.replies()[8] == ["later: once"] }
    }

    /// The text messages journaled and not completed (the broker is stopped).
    static func unfinishedTexts(dataDir: String) throws -> [(chat: Int64, text: String)] {
        let journal = Journal(configuration: .init(directory: URL(fileURLWithPath: dataDir + "/journal")), logger: Logger(label: "test"))
        defer { journal.close() }
        return try journal.recover().unfinished.compactMap { envelope in
            let object = try JSONSerialization.jsonObject(with: envelope.bytes) as? [String: Any]
            let message = object?["message"] as? [String: Any]
            guard let chat = (message?["chat"] as? [String: Any])?["id"] as? Int64, let text = message?["text"] as? String else { return nil }
            return (chat, text)
        }
    }

    /// The cluster's environment, for more processes of it.
    static func environment(_ cluster: ClusterHarness) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = cluster.sim.token
        env["TELEGRAM_API_URL"] = cluster.sim.baseURL
        env["TGCLUSTER_DATA_DIR"] = cluster.dataDir
        env["TGCLUSTER_FLOOD"] = "off"
        env["SWIFT_BACKTRACE"] = "enable=no"
        return env
    }

    /// A worker of the old build (no TESTBOT_VERSION) exits with the boot-error code, refused.
    static func expectRefused(oldWorkerWith env: [String: String], dataDir: String) async throws {
        let old = try SpawnedProcess(executable: ClusterHarness.executable(testBot),
                                     arguments: ["worker", "--heartbeat", "250ms", "--concurrency", "8"],
                                     environment: env, output: dataDir + "/old-worker.log")
        try await waitUntil("the old worker to exit", timeout: .seconds(30)) { !old.isRunning }
        #expect(old.terminationStatus == 78, "an old build's worker is refused by the fingerprint")
        let log = (try? String(contentsOfFile: dataDir + "/old-worker.log", encoding: .utf8)) ?? ""
        #expect(log.contains("refused"), "\(log.suffix(1500))")
    }
}
