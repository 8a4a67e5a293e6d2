import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// Ingest's poller reads getUpdates' answers on its bus thread: `IngestService` lends its
/// client's plain-HTTP loop to the link's bus loop (`PlainHTTPLoop.lend`, `BusLoop.host`), so
/// the loop's own thread, `tgc.http`, parks once and sleeps through every answer. Everything
/// would still work without the lease (the loop's own thread reads the answers and wakes the
/// bus thread): only the thread's wake-ups show it, one or more per answer.
@Suite("Ingest poller (processes)", .serialized)
struct IngestPollerIntegrationTests {
    /// Forty updates, one at a time (each the whole answer of one getUpdates): ingest's
    /// `tgc.http` thread woke 0 times (three runs; tried: with `IngestService` not lending its
    /// client's loop, 40, one per answer).
    @Test func anAnswerOfGetUpdates_isReadOnTheBusThread_notTheHTTPLoopsOwn() async throws {
        let cluster = try await ClusterHarness(bot: testBot, workers: 1)
        do {
            // After a first answer: ingest has polled, so its client's loop exists (it may be
            // still starting when the cluster reports ready; the first CI run of this test read
            // its threads at that moment and found three).
            try await cluster.send("warm-up", chat: 7)
            try await waitUntil("the warm-up answered", timeout: .seconds(30)) { try await cluster.replyCount() >= 1 }
            let ingest = try #require(cluster.child("ingest"))
            #expect(threadNames(of: ingest).contains("tgc.http"), "ingest has no plain-HTTP loop: \(threadNames(of: ingest))")
            let woke = try await wakeUps(of: ingest, thread: "tgc.http", sending: 40, to: 7, through: cluster) { "message \($0)" }
            #expect(woke <= 4, "ingest's tgc.http thread woke \(woke) times for 40 answers")
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        await cluster.cleanUp()
    }
}
