import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// The cluster as users run it: real processes, real ZeroMQ over ipc, the emulator.
/// Serialized: each test runs a whole process tree on a 2-core machine.
@Suite("Cluster (processes)", .serialized)
struct ClusterIntegrationTests {
    @Test func cleanRun_everyUpdateAnsweredOnce_inOrderPerChat_acrossFourWorkers() async throws {
        try await withCluster(bot: testBot, workers: 4) { cluster in
            try await cluster.sim.generate(2000, chats: 100)
            try await waitUntil("2000 replies", timeout: .seconds(60)) { try await cluster.replyCount() >= 2000 }
            try await Task.sleep(for: .milliseconds(300))
            let replies = try await cluster.replies()
            let expected = expectedEcho(chats: 100, count: 2000)
            #expect(replies.values.reduce(0) { $0 + $1.count } == 2000, "every update answered exactly once")
            let wrong = wrongChats(replies, expected)
            #expect(wrong == nil, "\(wrong ?? "")\n\(cluster.incidents())")
            // The work really was spread over the pool.
            #expect(cluster.peers().filter { $0.role == "worker" }.count == 4)
            #expect(try await cluster.stop() == 0)
            #expect(cluster.children().isEmpty)
        }
    }

    @Test func killedWorker_losesNoUpdate() async throws {
        try await withCluster(bot: testBot, workers: 3, concurrency: 8) { cluster in
            try await cluster.sim.generate(3000, chats: 60)
            try await waitUntil("the first replies", timeout: .seconds(30)) { try await cluster.replyCount() >= 300 }
            let victim = try #require(cluster.children().first { $0.role == "worker" })
            kill(victim.pid, SIGKILL)
            try await waitUntil("3000 answered", timeout: .seconds(90)) {
                try await cluster.replies().values.reduce(Set<String>()) { $0.union($1) }.count >= 3000
            }
            let replies = try await cluster.replies()
            let expected = expectedEcho(chats: 60, count: 3000)
            var duplicates = 0
            for (chat, texts) in expected {
                let got = replies[chat] ?? []
                #expect(Set(got) == Set(texts), "chat \(chat) lost an update")
                duplicates += got.count - Set(got).count
            }
            // Only jobs in flight on the killed worker may run twice: at most its capacity.
            #expect(duplicates <= 8, "\(duplicates) duplicates")
            try await waitUntil("a replacement worker", timeout: .seconds(20)) {
                cluster.children().filter { $0.role == "worker" }.count == 3 && !isAlive(victim.pid)
            }
            #expect(try await cluster.stop() == 0)
        }
    }

    @Test func nestedJobs_completeWithTwoWorkersOfConcurrencyOne() async throws {
        try await withCluster(bot: testBot, workers: 2, concurrency: 1) { cluster in
            try await cluster.sim.inject(text: "/nested 1", chatID: 4242)
            try await cluster.sim.inject(text: "/nested 10", chatID: 4343)
            try await waitUntil("both nested results", timeout: .seconds(30)) { try await cluster.replyCount() >= 2 }
            let replies = try await cluster.replies()
            // child(n) = (n + 1) * 2; parent(n) = child(n) + child(n + 1).
            #expect(replies[4242] == ["nested: 10"])
            #expect(replies[4343] == ["nested: 46"])
            #expect(try await cluster.stop() == 0)
        }
    }

    @Test func poisonUpdate_isDeadLettered_whileOthersAreServed() async throws {
        try await withCluster(bot: testBot, workers: 2, concurrency: 8) { cluster in
            try await cluster.sim.inject(text: "/crash", chatID: 666)
            try await cluster.sim.generate(1000, chats: 50)
            try await waitUntil("1000 answers and the dead letter", timeout: .seconds(120)) {
                let replies = try await cluster.replies()
                return replies.filter { $0.key != 666 }.values.reduce(0) { $0 + Set($1).count } >= 1000 && replies[666] != nil
            }
            let replies = try await cluster.replies()
            #expect(replies[666]?.first?.hasPrefix("dead-lettered: its worker died 3 times") == true, "\(replies[666] ?? [])")
            let letters = try String(contentsOfFile: cluster.dataDir + "/dead-letter.jsonl", encoding: .utf8)
                .split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(letters.count == 1)
            #expect((letters.first?["update"] as? String)?.contains("/crash") == true)
            #expect(letters.first?["attempts"] as? Int == 3)
            for (chat, texts) in expectedEcho(chats: 50, count: 1000) {
                #expect(Set(replies[chat] ?? []) == Set(texts), "chat \(chat)")
            }
            #expect(try await cluster.stop() == 0)
        }
    }

    @Test func hangingHandler_isTreatedAsACrash() async throws {
        try await withCluster(bot: testBot, workers: 2, concurrency: 4, extra: ["--deadline", "1s"]) { cluster in
            try await cluster.sim.inject(text: "/hang", chatID: 777)
            try await cluster.sim.inject(text: "still here", chatID: 778)
            try await waitUntil("the hang dead-lettered", timeout: .seconds(60)) { try await cluster.replies()[777] != nil }
            let replies = try await cluster.replies()
            #expect(replies[778] == ["still here"])
            #expect(replies[777]?.first?.hasPrefix("dead-lettered") == true)
            #expect(try await cluster.stop() == 0)
        }
    }

    @Test func scaling_2to6to1_underLoad_losesNothing() async throws {
        try await withCluster(bot: testBot, workers: 2, concurrency: 8) { cluster in
            let control = ControlClient(dataDir: cluster.dataDir)
            try await cluster.sim.generate(1500, chats: 30)
            try await control.scale(workers: 6)
            try await waitUntil("6 workers", timeout: .seconds(30)) { cluster.peers().filter { $0.role == "worker" }.count == 6 }
            try await cluster.sim.generate(1500, chats: 30, firstChatID: 200_000)
            try await control.scale(workers: 1)
            try await waitUntil("1 worker", timeout: .seconds(30)) { cluster.children().filter { $0.role == "worker" }.count == 1 }
            try await cluster.sim.generate(1000, chats: 30, firstChatID: 300_000)
            try await waitUntil("4000 answered", timeout: .seconds(90)) {
                try await cluster.replies().values.reduce(0) { $0 + Set($1).count } >= 4000
            }
            let replies = try await cluster.replies()
            var expected: [Int64: [String]] = [:]
            for (first, count) in [(Int64(100_000), 1500), (200_000, 1500), (300_000, 1000)] {
                expected.merge(expectedEcho(chats: 30, count: count, firstChat: first)) { $1 }
            }
            // The log's warnings say why, if a chat was answered twice or not at all.
            let wrong = wrongChats(replies, expected)
            #expect(wrong == nil, "\(wrong ?? "")\n\(cluster.incidents())")
            let status = try await control.status()
            #expect(status.supervisor?.desiredWorkers == 1)
            #expect(try await cluster.stop() == 0)
        }
    }

    @Test func sigterm_drainsAndExitsZero_andAKilledSupervisorLeavesNoOrphans() async throws {
        try await withCluster(bot: testBot, workers: 2) { cluster in
            try await cluster.sim.generate(500, chats: 10)
            try await waitUntil("some replies", timeout: .seconds(30)) { try await cluster.replyCount() >= 50 }
            let pids = cluster.children().map(\.pid)
            #expect(pids.count == 5)
            #expect(try await cluster.stop() == 0)
            #expect(pids.allSatisfy { !isAlive($0) }, "a child outlived the supervisor")
        }

        let second = try await ClusterHarness(bot: testBot, workers: 2)
        let pids = second.children().map(\.pid)
        kill(second.process.processIdentifier, SIGKILL)
        do {
            try await waitUntil("orphans to exit", timeout: .seconds(20)) { pids.allSatisfy { !isAlive($0) } }
        } catch {
            Issue.record("children outlived a killed supervisor: \(pids.filter(isAlive))")
        }
        await second.cleanUp()
    }
}
