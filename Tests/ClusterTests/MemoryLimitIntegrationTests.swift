import Foundation
import Testing
@testable import ClusterRuntime
import TGClusterTesting

/// `--max-worker-memory` (issue 17): a leaking worker is recycled once its jobs finish (nothing
/// lost, not counted as a crash); a job that alone takes more than twice the limit is retried
/// like a crash and dead-lettered after its attempts.
@Suite("Memory limit (processes)", .serialized)
struct MemoryLimitIntegrationTests {
    @Test func sizesAndVerdicts() {
        #expect(ByteSize.parse("512MB") == 512 << 20)
        #expect(ByteSize.parse("1.5GiB") == 3 << 29)
        #expect(ByteSize.parse("200m") == 200 << 20)
        #expect(ByteSize.parse("4096") == 4096)
        for bad in ["", "MB", "-5MB", "lots", "infMB"] { #expect(ByteSize.parse(bad) == nil, "\\(bad)") }
        let limit = MemoryLimit(bytes: 100)
        #expect(limit.verdict(resident: 100) == .fine)
        #expect(limit.verdict(resident: 101) == .recycle)
        #expect(limit.verdict(resident: 201) == .exitNow)
    }

    /// Not under a sanitizer: an instrumented worker's resident memory is several times the
    /// plain one's before it leaks anything, so the limit would say nothing about the leak.
    @Test(.enabled(if: TestBounds.memoryIsMeasurable, "resident memory under a sanitizer is not the code's"))
    func aLeakingWorker_isRecycled_andAJobTooBigAlone_isDeadLettered() async throws {
        try await withCluster(bot: testBot, workers: 1, extra: ["--max-worker-memory", "150MB"]) { cluster in
            let first = try #require(cluster.child("worker"))
            // Three leaks of 60 MB in one chat (in order), echoes in others.
            _ = try await cluster.sim.inject((0..<3).map { _ in TestUpdates.message("/leak 60", chat: 500) })
            try await cluster.sim.generate(60, chats: 6)
            try await waitUntil("every update answered", timeout: .seconds(60)) {
                let replies = try await cluster.replies()
                return replies[500]?.count == 3 && replies.filter { $0.key != 500 }.values.reduce(0) { $0 + $1.count } >= 60
            }
            try await waitUntil("a new worker", timeout: .seconds(20)) { (cluster.child("worker") ?? first) != first }
            let log = cluster.logText()
            #expect(log.contains("recycling it once its jobs finish"))
            #expect(log.contains("recycled past its memory limit"))
            #expect(!log.contains("role=worker status=exit 79"), "a recycled worker is no crash")
            for (chat, texts) in expectedEcho(chats: 6, count: 60) {
                #expect(try await cluster.replies()[chat] == texts, "chat \\(chat): each once, in order")
            }

            // One job that alone holds 400 MB (past twice the limit) for 5 s: each worker that
            // runs it leaves at once; after 3 deliveries it is dead-lettered, and the pool goes on.
            _ = try await cluster.sim.inject([TestUpdates.message("/leak 400 hold", chat: 501)])
            try await waitUntil("the big job dead-lettered", timeout: .seconds(90)) {
                ((try? String(contentsOfFile: cluster.dataDir + "/dead-letter.jsonl", encoding: .utf8)) ?? "").contains("/leak 400 hold")
            }
            // (An attempt may still have answered just before its worker left: the job's effects
            // are at-least-once, as with any crash; what matters is that no worker stays that big.)
            try await cluster.sim.inject(text: "after", chatID: 502)
            try await waitUntil("answered after", timeout: .seconds(30)) { try await cluster.replies()[502] == ["after"] }
            #expect(cluster.logText().contains("far past --max-worker-memory"))
            #expect(try await cluster.stop() == 0)
        }
    }
}
