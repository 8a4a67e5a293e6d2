import Foundation
import Testing
import TGClusterTesting

/// Issue 17, item 4: a burst of 1,000 concurrent Bot API calls from one worker (one handler
/// fanning out) leaves no descriptor behind: after it the worker holds its idle connection pool
/// (`CurlMultiLoop.Configuration.maxIdleConnections`, 64) and no more, and a second burst adds
/// nothing (a leak of one socket per call would add a thousand).
@Suite("Worker descriptors (processes)", .serialized)
struct WorkerDescriptorsIntegrationTests {
    @Test func aThousandConcurrentCalls_fromOneWorker_leaveNoDescriptorBehind() async throws {
        try await withCluster(bot: testBot, workers: 1, concurrency: 4) { cluster in
            let worker = try #require(cluster.child("worker"))
            try await cluster.send("warm up", chat: 1)
            try await waitUntil("the warm-up echo", timeout: .seconds(30)) { try await cluster.replies()[1] == ["warm up"] }
            let before = openDescriptors(worker)

            var after: [Int] = []
            for (round, chat) in [Int64(2), 3].enumerated() {
                try await cluster.send("/fanout 1000", chat: chat)
                try await waitUntil("burst \(round + 1) answered", timeout: .seconds(180)) {
                    try await cluster.replies()[chat]?.last == "fanout: 1000"
                }
                try await Task.sleep(for: .seconds(2))
                after.append(openDescriptors(worker))
            }
            let replies = try await cluster.replies()
            for chat in [Int64(2), 3] {
                #expect(Set(replies[chat] ?? []) == Set((0..<1000).map { "fan \($0)" } + ["fanout: 1000"]), "chat \(chat): every call answered")
            }
            print("descriptors: worker \(before) before, \(after[0]) after 1,000 concurrent calls, \(after[1]) after 1,000 more")
            #expect(after[0] <= before + 64 + 8, "at most the idle pool stays open")
            #expect(after[1] <= after[0] + 8, "a second burst adds nothing")
            #expect(cluster.child("worker") == worker, "the worker lived through it")
            #expect(try await cluster.stop() == 0)
        }
    }
}
