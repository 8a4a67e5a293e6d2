import ClusterRuntime
import Foundation
import GRDB
import Sim
import TGClusterTesting

/// The chaos soak (issue 17): the bank, timer and echo examples, each a whole cluster against
/// its own emulator with faults and Telegram's flood limits on, under steady load, while a
/// seeded `ChaosPlan` kills their roles, tears a journal tail and fills a disk. Then it waits
/// until every cluster is quiet, audits every chat, the bank's ledger and the timers, and
/// returns a `ChaosReport`.
public struct ChaosRun: Sendable {
    public struct Options: Sendable {
        public var seconds = 600.0
        public var seed: UInt64 = 1
        public var workers = 2
        public var concurrency = 8
        /// Multiplies the default load (echo 10/s, bank 2/s, timers 1/s).
        public var load = 1.0
        /// The emulators' faults: 502 pages, dropped connections, slow answers.
        public var fault5xx = 0.02
        public var faultDrop = 0.02
        public var faultSlow = 0.02
        public var slowDelay: Duration = .seconds(1)
        /// Where the bots' executables are (`bankbot`, `timerbot`, `echobot`).
        public var binDir: URL
        /// Data directories and logs; kept after a run with violations.
        public var workDir: URL
        public var log: @Sendable (String) -> Void = { print($0) }

        public init(binDir: URL, workDir: URL) {
            self.binDir = binDir
            self.workDir = workDir
        }
    }

    /// One kill as it happened: which bot's role, when (Unix seconds).
    struct Kill {
        var bot: ChaosPlan.Bot
        var role: ChaosPlan.Role
        var at: Double
    }

    public let options: Options

    public init(options: Options) { self.options = options }

    public func run() async throws -> ChaosReport {
        let o = options
        let plan = ChaosPlan(seed: o.seed, seconds: o.seconds)
        try FileManager.default.createDirectory(at: o.workDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var clusters: [ChaosPlan.Bot: ChaosCluster] = [:]
        do {
            for bot in ChaosPlan.Bot.allCases {
                clusters[bot] = try await ChaosCluster(bot: bot, binDir: o.binDir, workers: o.workers, concurrency: o.concurrency,
                                                       root: o.workDir) { sim in
                    sim.flood = .telegram
                    sim.fault5xx = o.fault5xx
                    sim.faultDrop = o.faultDrop
                    sim.faultSlow = o.faultSlow
                    sim.slowDelay = o.slowDelay
                }
            }
            let dataDirs = clusters.values.map(\.dataDir)
            try await waitUntil("every cluster ready", timeout: .seconds(120)) {
                dataDirs.allSatisfy { (BrokerStatus.read(dataDir: $0)?.peers.count ?? 0) >= o.workers + 1 }
            }
            o.log("chaos: 3 clusters ready (\(o.workers) workers each); \(plan.events.count) events over \(Int(o.seconds)) s, seed \(o.seed)")

            var report = ChaosReport(seed: o.seed, seconds: o.seconds)
            let sims = clusters.mapValues(\.sim)
            let loadTask = Task { try await ChaosLoad.run(sims: sims, seconds: o.seconds, rates: ChaosLoad.Rates().scaled(o.load), seed: o.seed) }
            let kills: [Kill]
            do {
                kills = try await Self.inflict(plan, on: clusters, seconds: o.seconds, seed: o.seed, report: &report, log: o.log)
            } catch {
                loadTask.cancel()
                throw error
            }
            let load = try await loadTask.value
            o.log("chaos: load done (\(load.echo.count) echoes, \(load.bank.count) bank updates, \(load.timer.count) timers); settling")

            let lastBeep = load.timer.compactMap { s in Double(s.text.split(separator: " ").last ?? "").map { s.at + $0 } }.max() ?? 0
            report.settled = await Self.settle(clusters, after: lastBeep)
            for cluster in clusters.values {
                report.unplannedExits += cluster.unplannedExits.count
                report.orphansKilled += cluster.orphansKilled
            }
            var transcripts: [ChaosPlan.Bot: [[String: Any]]] = [:]
            for (bot, cluster) in clusters {
                transcripts[bot] = try await cluster.sim.transcript()
                // Kept with the logs when the run finds a violation (the directory goes otherwise).
                let lines = (transcripts[bot] ?? []).compactMap { try? JSONSerialization.data(withJSONObject: $0) }
                try? Data(lines.joined(separator: Data("\n".utf8))).write(to: o.workDir.appendingPathComponent("\(bot.rawValue).transcript.jsonl"))
            }
            var exits: [ChaosPlan.Bot: Int32] = [:]
            for (bot, cluster) in clusters { exits[bot] = await cluster.stop() }

            try audit(load: load, transcripts: transcripts, exits: exits, clusters: clusters, into: &report)
            report.recovery = Self.recovery(kills, transcripts: transcripts)
            let count = { (role: ChaosPlan.Role) in kills.filter { $0.role == role }.count }
            report.repeatBound = o.concurrency * (count(.worker) + count(.sequencer) + o.workers * count(.supervisor)) + count(.broker)
            report.judge()
            for c in clusters.values { await c.cleanUp() }
            if report.violations.isEmpty { try? FileManager.default.removeItem(at: o.workDir) }
            return report
        } catch {
            for c in clusters.values { await c.cleanUp() }
            throw error
        }
    }

    // MARK: - Faults

    /// Carries out the plan's events at their times, and restarts a supervisor that exits on
    /// its own; returns the kills as they happened.
    static func inflict(_ plan: ChaosPlan, on clusters: [ChaosPlan.Bot: ChaosCluster], seconds: Double, seed: UInt64,
                        report: inout ChaosReport, log: (String) -> Void) async throws -> [Kill] {
        var rng = SplitMix64(seed: seed ^ 0x4B11)
        var kills: [Kill] = []
        var diskFullUntil: (ChaosPlan.Bot, ContinuousClock.Instant)?
        let start = ContinuousClock.now
        var pending = plan.events[...]
        while ContinuousClock.now - start < .seconds(seconds) || diskFullUntil != nil {
            for cluster in clusters.values { try cluster.superviseSupervisor() }
            if let (bot, until) = diskFullUntil, ContinuousClock.now >= until {
                clusters[bot]?.setDiskFull(false)
                diskFullUntil = nil
            }
            while let event = pending.first, ContinuousClock.now - start >= .seconds(event.at) {
                pending = pending.dropFirst()
                let elapsed = String(format: "%.1f", event.at)
                switch event.action {
                case .kill(let bot, let role):
                    guard let cluster = clusters[bot] else { continue }
                    let at = Date().timeIntervalSince1970
                    if let pid = try await cluster.kill(role, pick: { Int(rng.next() % UInt64($0)) }) {
                        kills.append(Kill(bot: bot, role: role, at: at))
                        report.kills[role.rawValue, default: 0] += 1
                        log("chaos: \(elapsed) s: kill -9 \(bot.rawValue) \(role.rawValue) (pid \(pid))")
                    } else {
                        report.killsSkipped += 1
                        log("chaos: \(elapsed) s: \(bot.rawValue) has no \(role.rawValue) running; skipped")
                    }
                case .tornTail(let bot):
                    guard let cluster = clusters[bot] else { continue }
                    let at = Date().timeIntervalSince1970
                    report.tornTailBytes = try await cluster.tearJournalTail()
                    kills.append(Kill(bot: bot, role: .supervisor, at: at))
                    report.kills[ChaosPlan.Role.supervisor.rawValue, default: 0] += 1
                    log("chaos: \(elapsed) s: \(bot.rawValue) stopped hard, \(report.tornTailBytes) bytes of a torn record on its journal, restarted")
                case .fullDisk(let bot, let duration):
                    clusters[bot]?.setDiskFull(true)
                    diskFullUntil = (bot, .now + .seconds(duration))
                    report.fullDiskSeconds = duration
                    log("chaos: \(elapsed) s: \(bot.rawValue)'s journal disk full for \(Int(duration)) s")
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return kills
    }

    /// Waits until every emulator has delivered its updates, every broker and outbox is empty,
    /// the last timer is due, and no Bot API call came for 5 s (at most 5 minutes). Supervisors
    /// that exit meanwhile are restarted.
    static func settle(_ clusters: [ChaosPlan.Bot: ChaosCluster], after lastBeep: Double) async -> Bool {
        var lastCalls: [ChaosPlan.Bot: Int] = [:]
        var quietSince = ContinuousClock.now
        let end = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < end {
            var busy = Date().timeIntervalSince1970 < lastBeep + 2
            for (bot, cluster) in clusters {
                try? cluster.superviseSupervisor()
                guard let stats = try? await cluster.sim.stats() else { busy = true; continue }
                let calls = stats["transcript_calls"] as? Int ?? 0
                if calls != lastCalls[bot] || (stats["updates_pending"] as? Int ?? 1) > 0 { busy = true }
                lastCalls[bot] = calls
                let broker = BrokerStatus.read(dataDir: cluster.dataDir)
                if (broker?.pending ?? 1) > 0 || (broker?.time ?? 0) < Date().timeIntervalSince1970 - 3 { busy = true }
                if outboxPending(cluster.dataDir) > 0 { busy = true }
            }
            if busy { quietSince = .now }
            if ContinuousClock.now - quietSince >= .seconds(5) { return true }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    static func outboxPending(_ dataDir: String) -> Int {
        guard let db = try? readOnly(dataDir + "/state.sqlite") else { return 0 }
        return (try? db.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM tgcluster_outbox WHERE status = 'pending'") ?? 0 }) ?? 0
    }

    static func readOnly(_ path: String) throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else { throw CocoaError(.fileNoSuchFile) }
        var c = Configuration()
        c.readonly = true
        c.busyMode = .timeout(5)
        return try DatabaseQueue(path: path, configuration: c)
    }

    // MARK: - Audit

    /// Successful `sendMessage` texts per chat, in the order the emulator took them, with times.
    static func replies(_ transcript: [[String: Any]]) -> [Int64: [(text: String, at: Double)]] {
        var out: [Int64: [(String, Double)]] = [:]
        for entry in transcript {
            guard let call = BotCall(transcriptEntry: entry), call.method == "sendMessage", call.ok,
                  let chat = call.chatID, let text = call.text else { continue }
            out[chat, default: []].append((text, entry["time"] as? Double ?? 0))
        }
        return out
    }

    func audit(load: ChaosLoad, transcripts: [ChaosPlan.Bot: [[String: Any]]], exits: [ChaosPlan.Bot: Int32],
               clusters: [ChaosPlan.Bot: ChaosCluster], into report: inout ChaosReport) throws {
        var expected: [ChaosPlan.Bot: [Int64: [ChatAudit.Expect]]] = [:]
        for s in load.echo { expected[.echo, default: [:]][s.chat, default: []].append(.exactly(s.text)) }
        for s in load.timer {
            let seconds = s.text.split(separator: " ").last.map(String.init) ?? ""
            expected[.timer, default: [:]][s.chat] = [.exactly("Timer successfully set!"), .exactly("Beep! \(seconds) seconds are over!")]
        }
        // The bank: what each chat hears depends on which transfers the store accepted.
        let bankDB = try Self.readOnly(clusters[.bank]!.dataDir + "/state.sqlite")
        let (total, balances, accepted, applied, logs) = try bankDB.read { db in
            (try Int.fetchOne(db, sql: "SELECT SUM(balance) FROM account") ?? 0,
             try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT user, balance FROM account").map { ($0["user"] as Int64, $0["balance"] as Int) }),
             try Row.fetchAll(db, sql: "SELECT update_id, sender, recipient, amount FROM transfer"),
             try Int64.fetchAll(db, sql: "SELECT update_id FROM tgcluster_applied"),
             try Row.fetchAll(db, sql: "SELECT transfer, entry FROM bank_log ORDER BY id"))
        }
        let acceptedIDs = Set(accepted.map { $0["update_id"] as Int64 })
        for s in load.bank {
            let steps: [ChatAudit.Expect] = s.text == "/open" ? [.prefix("Account opened")]
                : acceptedIDs.contains(s.updateID) ? [.exactly("Preparing..."), .exactly("Transferring money..."), .exactly("Done!")]
                : [.prefix("Refused:")]
            expected[.bank, default: [:]][s.chat, default: []] += steps
        }
        report.bank.expectedTotal = ChaosLoad.bankUsers.count * ChaosLoad.startingBalance
        report.bank.total = total
        report.bank.accepted = accepted.count
        var replayed = Dictionary(uniqueKeysWithValues: ChaosLoad.bankUsers.map { ($0, ChaosLoad.startingBalance) })
        for t in accepted {
            replayed[t["sender"], default: 0] -= t["amount"] as Int
            replayed[t["recipient"], default: 0] += t["amount"] as Int
        }
        report.bank.balanceMismatches = replayed.filter { balances[$0.key] != $0.value }.count
        var appliedCount: [Int64: Int] = [:]
        for id in applied { appliedCount[id, default: 0] += 1 }
        report.bank.notAppliedOnce = load.bank.filter { appliedCount[$0.updateID] != 1 }.count
        var perTransfer: [Int64: [String]] = [:]
        for row in logs { perTransfer[row["transfer"], default: []].append(row["entry"]) }
        report.bank.logWrong = abs(perTransfer.count - accepted.count)
            + perTransfer.values.filter { $0 != ["BEGINNING", "CALCULATED", "FINISHED"] }.count

        for bot in ChaosPlan.Bot.allCases {
            let transcript = transcripts[bot] ?? []
            let got = Self.replies(transcript)
            var audit = ChatAudit()
            for (chat, want) in (expected[bot] ?? [:]).sorted(by: { $0.key < $1.key }) {
                audit.check(chat: chat, expected: want, got: got[chat]?.map(\.text) ?? [])
            }
            var figures = ChaosReport.BotFigures()
            figures.updates = bot == .echo ? load.echo.count : bot == .bank ? load.bank.count : load.timer.count
            figures.expected = audit.expected
            figures.delivered = audit.delivered
            figures.repeats = audit.repeats
            figures.outOfOrder = audit.outOfOrder
            figures.examples = audit.examples
            figures.exitStatus = exits[bot] ?? -1
            for entry in transcript where entry["method"] as? String == "sendMessage" {
                figures.sends += 1
                if entry["ok"] as? Bool != true, (entry["description"] as? String ?? "").hasPrefix("Too Many Requests") {
                    figures.tooManyRequests += 1
                }
            }
            figures.lost = audit.lost
            report.bots[bot.rawValue] = figures
        }

        // Timers: each beep once it was due, never before.
        let beeps = Self.replies(transcripts[.timer] ?? [])
        report.timers.set = load.timer.count
        for s in load.timer {
            guard let seconds = Double(s.text.split(separator: " ").last ?? "") else { continue }
            let mine = (beeps[s.chat] ?? []).filter { $0.text.hasPrefix("Beep!") }
            if !mine.isEmpty { report.timers.fired += 1 }
            if mine.contains(where: { $0.at < s.at + seconds - 0.01 }) { report.timers.early += 1 }
        }
    }

    /// From each kill to the killed bot's next successful reply: p50 and max per role.
    static func recovery(_ kills: [Kill], transcripts: [ChaosPlan.Bot: [[String: Any]]]) -> [ChaosReport.Recovery] {
        var times: [ChaosPlan.Bot: [Double]] = [:]
        for (bot, transcript) in transcripts {
            times[bot] = transcript.compactMap { e in
                e["method"] as? String == "sendMessage" && e["ok"] as? Bool == true ? e["time"] as? Double : nil
            }.sorted()
        }
        var byRole: [ChaosPlan.Role: [Double]] = [:]
        for kill in kills {
            guard let next = times[kill.bot]?.first(where: { $0 > kill.at }) else { continue }
            byRole[kill.role, default: []].append(next - kill.at)
        }
        return byRole.sorted { $0.key < $1.key }.map { role, gaps in
            let sorted = gaps.sorted()
            return ChaosReport.Recovery(role: role.rawValue, kills: sorted.count, p50: sorted[(sorted.count - 1) / 2], max: sorted.last ?? 0)
        }
    }
}
