@testable import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// `run --ingest-in-broker`: the broker's process long-polls, on its own bus thread, and the
/// guarantees hold as with an ingest process of its own — a killed broker (and with it the
/// poller) loses no update.
@Suite("Ingest in the broker (processes)", .serialized)
struct IngestInBrokerIntegrationTests {
    @Test func aWebhookOrAWorkerHost_isRefused() {
        // The webhook faces the internet: its crash must not take the broker along.
        #expect(throws: (any Error).self) { try RunCommand.parse(["--ingest-in-broker", "--webhook"]) }
        #expect(throws: (any Error).self) { try RunCommand.parse(["--ingest-in-broker", "--role", "workers"]) }
        #expect(throws: Never.self) { try RunCommand.parse(["--ingest-in-broker"]) }
        #expect(throws: Never.self) { try BrokerCommand.parse(["--with-ingest", "--poll-timeout", "2"]) }
        #expect(throws: (any Error).self) { try BrokerCommand.parse(["--delete-webhook"]) }
    }

    /// `run --register` when polling deletes a webhook left set (Telegram answers getUpdates 409
    /// while one is), at every start of the process that polls: ingest's, or the broker's with
    /// `--ingest-in-broker` (which did not, and polled into 409s for good).
    @Test(arguments: [("ingest", [String]()), ("broker", ["--ingest-in-broker"])])
    func register_deletesAWebhookLeftSet_whenThePollerStarts(poller: String, mode: [String]) async throws {
        try await withCluster(bot: testBot, workers: 1, concurrency: 8, extra: mode + ["--register"]) { cluster in
            let set = try await cluster.sim.call("setWebhook", ["url": "http://127.0.0.1:\(freePort())/hook"])
            #expect(set.status == 200, "\(set.text)")
            let pid = try #require(cluster.child(poller))
            kill(pid, SIGKILL)
            try await waitUntil("a new \(poller)", timeout: .seconds(30)) { (cluster.child(poller) ?? pid) != pid }
            try await cluster.sim.generate(50, chats: 5)
            try await waitUntil("50 answered", timeout: .seconds(30)) { try await cluster.replyCount() >= 50 }
            let info = try await cluster.sim.call("getWebhookInfo")
            #expect((info.json["result"] as? [String: Any])?["url"] as? String == "", "\(info.text)")
        }
    }

    @Test func theBrokerPolls_withNoIngestProcess_andItsKillLosesNoUpdate() async throws {
        try await withCluster(bot: testBot, workers: 2, concurrency: 8, extra: ["--ingest-in-broker"]) { cluster in
            #expect(cluster.child("ingest") == nil, "an ingest process runs: \(cluster.children())")
            try await cluster.sim.generate(3000, chats: 60)
            try await waitUntil("the first replies", timeout: .seconds(30)) { try await cluster.replyCount() >= 500 }
            // The poller runs on the broker's own bus thread (`LocalIngestLink`): no second bus
            // thread, no second socket (over ZeroMQ's inproc transport its link ran a second one).
            let broker = try #require(cluster.child("broker"))
            #expect(threadNames(of: broker).filter { $0 == "tgc.bus" }.count == 1, "\(threadNames(of: broker))")
            // `tgcluster status` shows the broker as the poller (no ingest row).
            // (broker.json is written about once a second.)
            func report() -> String {
                StatusReport.render(ControlAnswer(ok: true, supervisor: SupervisorStatus.read(dataDir: cluster.dataDir), broker: cluster.broker()))
            }
            try await waitUntil("status to name the poller (broker+ingest)", timeout: .seconds(10)) { report().contains("broker+ingest") }
            #expect(!report().contains("\ningest "), "\(report())")
            // The poller dies with the broker: what it had not yet confirmed, Telegram (the
            // emulator) gives the new broker's poller again; the journal says what was accepted.
            kill(broker, SIGKILL)
            try await waitUntil("a new broker", timeout: .seconds(30)) { (cluster.child("broker") ?? broker) != broker }
            try await waitUntil("3000 answered", timeout: .seconds(90)) {
                try await cluster.replies().values.reduce(Set<String>()) { $0.union($1) }.count >= 3000
            }
            let replies = try await cluster.replies()
            var duplicates = 0
            for (chat, texts) in expectedEcho(chats: 60, count: 3000) {
                let got = replies[chat] ?? []
                #expect(Set(got) == Set(texts), "chat \(chat) lost an update")
                duplicates += got.count - Set(got).count
            }
            // As with ingest apart: at most one repeated reply per broker kill (HANDOVER).
            #expect(duplicates <= 1, "\(duplicates) echoes answered twice through a broker kill")
            #expect(cluster.child("ingest") == nil)
            #expect(cluster.logText().contains("journal recovered"))
            #expect(try await cluster.stop() == 0)
        }
    }
}
