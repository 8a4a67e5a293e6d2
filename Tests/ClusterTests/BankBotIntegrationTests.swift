import Foundation
import GRDB
import Testing
import TGClusterTesting

/// The guide's bank on the cluster: the safe `bankbot` keeps every unit of money through
/// thousands of concurrent transfers and the kill -9 of a worker and of the sequencer; the
/// naive variant, on the same workload, loses or creates money (so the check can fail).
@Suite("BankBot (processes)", .serialized)
struct BankBotIntegrationTests {
    static let users: [Int64] = (1...50).map { 70_000 + Int64($0) }

    /// A private-chat text message from `user`.
    static func message(_ text: String, from user: Int64, id: Int) -> [String: Any] {
        let person: [String: Any] = ["id": user, "is_bot": false, "first_name": "User \(user)"]
        return ["message": ["message_id": id, "date": Int(Date().timeIntervalSince1970),
                            "chat": ["id": user, "type": "private", "first_name": "User \(user)"],
                            "from": person, "text": text]]
    }

    /// Random transfers among the accounts, some of them refused (self-transfers, bad amounts,
    /// overdrafts), from a fixed seed.
    static func transfers(_ count: Int, seed: UInt64) -> [(sender: Int64, text: String)] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            let sender = users[Int(rng.next() % UInt64(users.count))]
            let recipient = users[Int(rng.next() % UInt64(users.count))]
            let roll = rng.next() % 100
            let amount = roll < 2 ? "x" : "\(1 + rng.next() % (roll < 10 ? 3000 : 150))"
            return (sender, "/transaction \(amount) \(recipient)")
        }
    }

    /// Injects `/open` for every user, then the transfers in batches; returns the transfers'
    /// update ids per sender, in order.
    static func inject(_ transfers: [(sender: Int64, text: String)], into sim: SimHarness) async throws -> [Int64: [Int64]] {
        _ = try await sim.inject(users.enumerated().map { message("/open", from: $0.element, id: $0.offset + 1) })
        var bySender: [Int64: [Int64]] = [:]
        for start in stride(from: 0, to: transfers.count, by: 500) {
            let batch = Array(transfers[start..<min(start + 500, transfers.count)])
            let ids = try await sim.inject(batch.enumerated().map { message($0.element.text, from: $0.element.sender, id: 1000 + start + $0.offset) })
            for (id, t) in zip(ids, batch) { bySender[t.sender, default: []].append(id) }
        }
        return bySender
    }

    static func readOnly(_ path: String) throws -> DatabaseQueue {
        var c = Configuration()
        c.readonly = true
        c.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: c)
    }

    /// Waits until the broker holds nothing and has finished at least `jobs` jobs.
    static func waitForIdle(_ cluster: ClusterHarness, jobs: Int, timeout: Duration) async throws {
        try await waitUntil("\(jobs) jobs finished and the broker idle", timeout: timeout) {
            guard let b = cluster.broker() else { return false }
            return b.completed + b.failed >= jobs && b.pending == 0
        }
    }

    @Test func safeBank_5000Transfers_workerAndSequencerKilled_moneyConserved_eachAppliedOnce_sideEffectsInOrder() async throws {
        try await withCluster(bot: "bankbot", workers: 3, concurrency: 8) { cluster in
            let transfers = Self.transfers(5000, seed: 42)
            let bySender = try await Self.inject(transfers, into: cluster.sim)
            let state = cluster.dataDir + "/state.sqlite"
            try await waitUntil("the store", timeout: .seconds(10)) { FileManager.default.fileExists(atPath: state) }
            let db = try Self.readOnly(state)
            func applied() async throws -> Int { try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tgcluster_applied") ?? 0 } }

            try await waitUntil("1,000 applied", timeout: .seconds(120)) { try await applied() >= 1000 }
            let worker = try #require(cluster.child("worker"))
            kill(worker, SIGKILL)
            try await waitUntil("2,500 applied", timeout: .seconds(120)) { try await applied() >= 2500 }
            let sequencer = try #require(cluster.child("sequencer"))
            kill(sequencer, SIGKILL)
            try await waitUntil("all 5,050 applied", timeout: .seconds(180)) { try await applied() >= 5050 }
            try await waitUntil("the outbox empty", timeout: .seconds(180)) {
                try await db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tgcluster_outbox WHERE status = 'pending'") ?? 1 } == 0
            }
            try await waitUntil("the broker idle", timeout: .seconds(60)) { cluster.broker()?.pending == 0 }
            #expect(cluster.child("sequencer") != sequencer, "the sequencer was restarted")

            // Money is conserved, and every balance is what the recorded transfers make it.
            let (total, balances, accepted) = try await db.read { db in
                (try Int.fetchOne(db, sql: "SELECT SUM(balance) FROM account") ?? 0,
                 try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT user, balance FROM account").map { ($0["user"] as Int64, $0["balance"] as Int) }),
                 try Row.fetchAll(db, sql: "SELECT id, update_id, sender, recipient, amount FROM transfer"))
            }
            #expect(total == Self.users.count * 1000, "money created or destroyed: \(total)")
            var expectedBalance = Dictionary(uniqueKeysWithValues: Self.users.map { ($0, 1000) })
            for t in accepted {
                expectedBalance[t["sender"], default: 0] -= t["amount"] as Int
                expectedBalance[t["recipient"], default: 0] += t["amount"] as Int
            }
            #expect(balances == expectedBalance)

            // Each transfer update applied exactly once (the journal of applied updates).
            let allIDs = Set(bySender.values.joined())
            let appliedIDs = try await db.read { try Set(Int64.fetchAll($0, sql: "SELECT update_id FROM tgcluster_applied")) }
            #expect(allIDs.isSubset(of: appliedIDs))
            #expect(appliedIDs.count == 5050)
            let acceptedIDs = Set(accepted.map { $0["update_id"] as Int64 })
            #expect(acceptedIDs.isSubset(of: allIDs) && acceptedIDs.count == accepted.count)
            #expect(accepted.count > 1000, "the workload should accept most transfers (\(accepted.count))")

            // Every chat got, per transfer in order: the three notifications, or one refusal;
            // a repeat only right after itself (a job in flight on the killed worker).
            let repeats = Self.checkNotifications(bySender: bySender, replies: try await cluster.replies(), accepted: acceptedIDs)
            #expect(repeats <= 8, "\(repeats) repeated messages (at most the killed worker's 8 jobs in flight)")

            // The guide's three log entries per transfer, in order, none missing or doubled.
            let logs = try await db.read { try Row.fetchAll($0, sql: "SELECT transfer, entry FROM bank_log ORDER BY id") }
            var perTransfer: [Int64: [String]] = [:]
            for row in logs { perTransfer[row["transfer"], default: []].append(row["entry"]) }
            #expect(perTransfer.count == accepted.count)
            let wrong = perTransfer.filter { $0.value != ["BEGINNING", "CALCULATED", "FINISHED"] }
            #expect(wrong.isEmpty, "log entries wrong for \(wrong.count) transfers, e.g. \(wrong.prefix(3)); \(cluster.logText().split(separator: "\n").filter { $0.contains("error") }.prefix(5))")
            print("bank: \(accepted.count) transfers accepted of 5000, \(repeats) repeated messages after the worker kill")
            #expect(try await cluster.stop() == 0)
        }
    }

    /// Every chat got, per transfer in order, the three notifications or one refusal; a repeat
    /// only right after itself (a job in flight on the killed worker). Returns the repeats.
    static func checkNotifications(bySender: [Int64: [Int64]], replies: [Int64: [String]], accepted acceptedIDs: Set<Int64>) -> Int {
        var repeats = 0
        for (sender, ids) in bySender {
            var expected: [String] = []
            for id in ids {
                expected += acceptedIDs.contains(id) ? ["Preparing...", "Transferring money...", "Done!"] : ["Refused:"]
            }
            let got = Array((replies[sender] ?? []).drop { $0.hasPrefix("Account") })
            var i = 0
            var previous: String?
            for (j, text) in got.enumerated() {
                let matches = { (want: String) in want == "Refused:" ? text.hasPrefix("Refused:") : text == want }
                if i < expected.count, matches(expected[i]) {
                    previous = text
                    i += 1
                } else if text == previous {
                    repeats += 1
                } else {
                    Issue.record("chat \(sender): unexpected \(text) at step \(i) of \(expected.count); expected \(expected[max(0, i - 4)..<min(expected.count, i + 4)]); got \(got[max(0, j - 4)..<min(got.count, j + 4)])")
                    break
                }
            }
            #expect(i == expected.count, "chat \(sender): \(i) of \(expected.count) notifications")
        }
        return repeats
    }

    @Test func naiveBank_sameWorkload_createsOrDestroysMoney() async throws {
        try await withCluster(bot: "bankbot", workers: 3, concurrency: 8, environment: ["BANKBOT_MODE": "naive"]) { cluster in
            let transfers = Self.transfers(2000, seed: 42)
            _ = try await Self.inject(transfers, into: cluster.sim)
            try await Self.waitForIdle(cluster, jobs: 2050, timeout: .seconds(120))
            let db = try Self.readOnly(cluster.dataDir + "/naive-bank.sqlite")
            let total = try await db.read { try Int.fetchOne($0, sql: "SELECT SUM(balance) FROM account") ?? 0 }
            print("naive bank: the sum of balances is \(total), not \(Self.users.count * 1000)")
            #expect(total != Self.users.count * 1000, "the naive bank should lose track of money under concurrency")
            #expect(try await cluster.stop() == 0)
        }
    }
}

/// SplitMix64: the same numbers for the same seed, on every run.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
