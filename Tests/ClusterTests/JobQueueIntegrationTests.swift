import Foundation
import ClusterRuntime
import GRDB
import Testing
import TGClusterTesting

/// The durable JobQueue on real processes: firings recorded once and sent through kills of the
/// sequencer and a worker, repeating jobs on cadence, and timers across a full stop.
@Suite("JobQueue (processes)", .serialized)
struct JobQueueIntegrationTests {
    static func readOnly(_ dataDir: String) throws -> DatabaseQueue {
        var c = Configuration()
        c.readonly = true
        c.busyMode = .timeout(5)
        return try DatabaseQueue(path: dataDir + "/state.sqlite", configuration: c)
    }

    @Test func thousandOneShotsAndTwentyRepeating_throughSequencerAndWorkerKills_fireOnceOnCadence() async throws {
        try await withCluster(bot: testBot, workers: 2, concurrency: 8) { cluster in
            try await cluster.sim.inject(text: "/every 20 500", chatID: 4001)
            try await waitUntil("20 repeating jobs", timeout: .seconds(30)) { try await cluster.replies()[4001] == ["every: 20"] }
            try await cluster.sim.inject(text: "/burst 1000 10000", chatID: 4000)
            try await waitUntil("the burst scheduled", timeout: .seconds(30)) { try await cluster.replies()[4000]?.first == "burst: 1000" }
            let db = try Self.readOnly(cluster.dataDir)
            func oneShotsFired() async throws -> Int {
                try await db.read { try Int.fetchOne($0, sql: """
                    SELECT COUNT(*) FROM tgcluster_firing f JOIN tgcluster_schedule s ON s.id = f.schedule_id WHERE s.name = 'shot'
                    """) ?? 0 }
            }
            try await waitUntil("250 shots", timeout: .seconds(30)) { try await oneShotsFired() >= 250 }
            let sequencer = try #require(cluster.child("sequencer"))
            kill(sequencer, SIGKILL)
            try await waitUntil("600 shots", timeout: .seconds(60)) { try await oneShotsFired() >= 600 }
            let worker = try #require(cluster.child("worker"))
            kill(worker, SIGKILL)
            try await waitUntil("1000 shots fired", timeout: .seconds(60)) { try await oneShotsFired() >= 1000 }
            try await waitUntil("every shot's message", timeout: .seconds(60)) {
                Set(try await cluster.replies()[4000] ?? []).count >= 1001
            }
            #expect(cluster.child("sequencer") != sequencer)

            // Each one-shot fired exactly once (its firing is a row keyed by job and due time)
            // and its message was sent; a repeat only for a job in flight on the killed worker.
            let perJob = try await db.read { try Row.fetchAll($0, sql: """
                SELECT s.id, COUNT(f.schedule_id) AS n, s.next_run FROM tgcluster_schedule s LEFT JOIN tgcluster_firing f ON f.schedule_id = s.id
                WHERE s.name = 'shot' GROUP BY s.id
                """) }
            #expect(perJob.count == 1000)
            #expect(perJob.allSatisfy { $0["n"] as Int == 1 && ($0["next_run"] as Double?) == nil })
            let shots = (try await cluster.replies()[4000] ?? []).filter { $0.hasPrefix("shot ") }
            #expect(Set(shots) == Set((0..<1000).map { "shot \($0)" }))
            let repeats = shots.count - Set(shots).count
            print("jobqueue: 1000 one-shots fired once each; \(repeats) messages repeated (the killed worker's jobs in flight, at most 8)")
            #expect(repeats <= 8)

            // Every repeating job kept its cadence: due times 0.5 s apart, none missing or doubled
            // (the runs missed while the sequencer was down came late, within the grace period).
            let ticks = try await db.read { try Row.fetchAll($0, sql: """
                SELECT f.schedule_id AS id, f.scheduled_for AS t FROM tgcluster_firing f JOIN tgcluster_schedule s ON s.id = f.schedule_id
                WHERE s.name = 'tick' ORDER BY f.schedule_id, f.scheduled_for
                """) }
            var byJob: [Int64: [Double]] = [:]
            for row in ticks { byJob[row["id"], default: []].append(row["t"]) }
            #expect(byJob.count == 20)
            for (id, times) in byJob {
                #expect(times.count >= 10, "job \(id) ran \(times.count) times")
                let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
                #expect(gaps.allSatisfy { abs($0 - 0.5) < 0.001 }, "job \(id): gaps \(gaps.filter { abs($0 - 0.5) >= 0.001 })")
            }
            #expect(try await cluster.stop() == 0)
        }
    }

    @Test func timersSetBeforeAFullStop_fireAfterTheRestart_perTheirMisfirePolicy() async throws {
        let first = try await ClusterHarness(bot: testBot, workers: 1)
        do {
            try await first.sim.inject(text: "/later 3 once 0.2", chatID: 4100)
            try await first.sim.inject(text: "/later 3 skip 0.2", chatID: 4101)
            try await first.sim.inject(text: "/later 30 once 60", chatID: 4102)
            try await waitUntil("three timers set", timeout: .seconds(30)) {
                let r = try await first.replies()
                return r[4100] != nil && r[4101] != nil && r[4102] != nil
            }
            #expect(try await first.stop() == 0)
            let r = try await first.replies()
            #expect(r[4100] == ["later: once"] && r[4101] == ["later: skip"], "the timers must not have fired before the stop")
        } catch {
            Issue.record("\(error)\n\(first.logText().suffix(3000))")
        }
        let stopped = ContinuousClock.now
        await first.cleanUp(keepData: true)
        let listed = try StoredJobsProbe.names(first.dataDir)
        #expect(listed.sorted() == ["later-once", "later-once", "later-skip"])
        // Both 3 s timers come due while the cluster is down, and are past their grace when it is back.
        try await Task.sleep(until: stopped + .seconds(3.5))

        let second = try await ClusterHarness(bot: testBot, workers: 1, dataDir: first.dataDir, firstUpdateID: 200_000_000)
        do {
            // The new emulator has not seen these chats (it answers "chat not found", as Telegram
            // would for an unknown chat): what counts is that the timer made its call, once.
            func calls(_ chat: Int64) async throws -> [String] {
                try await second.sim.transcript().compactMap { call in
                    guard call["method"] as? String == "sendMessage", let p = call["params"] as? [String: Any],
                          (p["chat_id"] as? NSNumber)?.int64Value == chat else { return nil }
                    return p["text"] as? String
                }
            }
            try await waitUntil("the late timer", timeout: .seconds(20)) { try await calls(4100) == ["beep once"] }
            try await Task.sleep(for: .seconds(1))
            #expect(try await calls(4100) == ["beep once"])
            #expect(try await calls(4101).isEmpty, "the skipped timer must not fire")
            #expect(try await calls(4102).isEmpty, "the 30 s timer is not due yet")
            let db = try Self.readOnly(first.dataDir)
            let skipped = try await db.read { try Row.fetchOne($0, sql: "SELECT runs, next_run FROM tgcluster_schedule WHERE name = 'later-skip'") }
            #expect(skipped?["runs"] as Int? == 0 && (skipped?["next_run"] as Double?) == nil)
            #expect(try await second.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(second.logText().suffix(3000))")
        }
        await second.cleanUp()
    }
}

/// `tgcluster jobs`' reader, as the tests use it.
enum StoredJobsProbe {
    static func names(_ dataDir: String) throws -> [String] {
        try StoredJobs.list(dataDir: dataDir).map { $0.name }
    }
}
