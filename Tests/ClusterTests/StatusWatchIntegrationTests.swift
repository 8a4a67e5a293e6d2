import Foundation
import Testing
import TGClusterTesting

/// `tgcluster status --watch` in a real terminal: a tmux pane on a private tmux server.
@Suite("status --watch (processes)", .serialized)
struct StatusWatchIntegrationTests {
    static let tmux = "/usr/bin/tmux"

    /// Runs tmux to its end; what it printed. Not `Foundation.Process`: the tmux server that
    /// `new-session` forks would inherit Process's exit-watch socket and hide the client's exit.
    @discardableResult
    static func tmux(_ arguments: [String]) async throws -> String {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-tmux-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let p = try SpawnedProcess(executable: tmux, arguments: arguments, environment: ProcessInfo.processInfo.environment, output: output)
        try await waitUntil("tmux \(arguments.dropFirst(2).first ?? "")", timeout: .seconds(10)) { !p.isRunning }
        return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    }

    @Test(.enabled(if: needs(tmux)))
    func theLiveView_showsTheProcessesAndFigures_andRefreshes() async throws {
        try await withCluster(bot: testBot, workers: 2) { cluster in
            try await cluster.sim.generate(60, chats: 6)
            try await waitUntil("60 replies", timeout: .seconds(60)) { try await cluster.replyCount() >= 60 }
            let server = "tgc-\(UUID().uuidString.prefix(8))"
            let command = ClusterHarness.executable("tgcluster") + " status --watch --data-dir " + cluster.dataDir
            try await Self.tmux(["-L", server, "new-session", "-d", "-s", "watch", "-x", "140", "-y", "40", command])
            defer {
                // The pane's process ends with the server (SIGHUP).
                let kill = try? SpawnedProcess(executable: Self.tmux, arguments: ["-L", server, "kill-server"], environment: [:], output: "/dev/null")
                for _ in 0..<100 where kill?.isRunning == true { usleep(50_000) }
            }
            func pane() async throws -> String { try await Self.tmux(["-L", server, "capture-pane", "-p", "-t", "watch"]) }
            var first = ""
            try await waitUntil("the view with its figures", timeout: .seconds(20)) {
                first = try await pane()
                return first.contains("Bot API:") && first.contains("updates/s")
            }
            #expect(first.contains("role") && first.contains("host") && first.contains("restarts"), "\(first)")
            #expect(first.components(separatedBy: "worker ").count - 1 >= 2, "both workers listed: \(first)")
            #expect(first.contains("sequencer") && first.contains("broker") && first.contains("ingest"))
            #expect(!first.contains("no cluster answers"))
            // Refreshed each second: the time in its first line moves on.
            let header = first.split(separator: "\n").first.map(String.init) ?? ""
            try await waitUntil("a refresh", timeout: .seconds(10)) {
                let line = try await pane().split(separator: "\n").first.map(String.init) ?? ""
                return !line.isEmpty && line != header
            }
        }
    }
}
