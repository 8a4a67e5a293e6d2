import Foundation

/// What a chaos run did and found: the figures the README quotes and the violations that make
/// `scripts/chaos` exit 1. Written as JSON (`--report`) and as text.
public struct ChaosReport: Codable, Sendable {
    public struct BotFigures: Codable, Sendable {
        /// Updates the emulator queued for the bot.
        public var updates = 0
        /// Replies the updates call for (per chat, in order).
        public var expected = 0
        public var delivered = 0
        public var lost = 0
        /// Replies that arrived more than once (at-least-once: see `repeatBound`).
        public var repeats = 0
        public var outOfOrder = 0
        /// `sendMessage` calls the emulator answered (faults never reach it), and its 429s.
        public var sends = 0
        public var tooManyRequests = 0
        public var examples: [String] = []
        /// The supervisor's exit status at the end (0: stopped cleanly on SIGTERM).
        public var exitStatus: Int32 = 0

        public var tooManyRequestsShare: Double { sends == 0 ? 0 : Double(tooManyRequests) / Double(sends) }
    }

    public struct Bank: Codable, Sendable {
        public var total = 0
        public var expectedTotal = 0
        /// Accounts whose balance differs from a replay of the accepted transfers.
        public var balanceMismatches = 0
        public var accepted = 0
        /// Transfer updates not recorded as applied exactly once.
        public var notAppliedOnce = 0
        /// Accepted transfers without exactly the guide's three log entries.
        public var logWrong = 0
    }

    public struct Timers: Codable, Sendable {
        public var set = 0
        /// Timers whose beep arrived.
        public var fired = 0
        /// Beeps before their time.
        public var early = 0
    }

    /// From a kill to the killed bot's next reply, per role.
    public struct Recovery: Codable, Sendable {
        public var role: String
        public var kills: Int
        public var p50: Double
        public var max: Double
    }

    public var seed: UInt64
    public var seconds: Double
    public var bots: [String: BotFigures] = [:]
    public var kills: [String: Int] = [:]
    /// Kills that found no process of the role (it was being restarted).
    public var killsSkipped = 0
    public var tornTailBytes = 0
    public var fullDiskSeconds = 0.0
    public var recovery: [Recovery] = []
    /// The repeats the design allows for these kills: each killed worker's jobs in flight
    /// (`concurrency`), each killed sequencer's outbox calls in flight (`concurrency`), each
    /// supervisor's workers × `concurrency` (its children stop when it dies), one per broker
    /// (HANDOVER), none per ingest (update ids are deduplicated).
    public var repeatBound = 0
    public var bank = Bank()
    public var timers = Timers()
    /// Supervisor exits the run did not cause (a halt, a crash).
    public var unplannedExits = 0
    /// Children that outlived their supervisor by more than the stop grace.
    public var orphansKilled = 0
    public var settled = true
    public var violations: [String] = []

    public init(seed: UInt64, seconds: Double) {
        self.seed = seed
        self.seconds = seconds
    }

    /// Fills `violations` from the figures.
    public mutating func judge(maxTooManyRequestsShare: Double = 0.05) {
        var v: [String] = []
        if !settled { v.append("the clusters did not settle after the run") }
        for (name, b) in bots.sorted(by: { $0.key < $1.key }) {
            if b.lost > 0 { v.append("\(name): \(b.lost) replies lost") }
            if b.outOfOrder > 0 { v.append("\(name): \(b.outOfOrder) replies out of order") }
            if b.tooManyRequestsShare > maxTooManyRequestsShare {
                v.append("\(name): \(b.tooManyRequests) of \(b.sends) sends answered 429 (> \(Int(maxTooManyRequestsShare * 100))%)")
            }
            if b.exitStatus != 0 { v.append("\(name): the supervisor exited \(b.exitStatus) on SIGTERM") }
        }
        let repeats = bots.values.reduce(0) { $0 + $1.repeats }
        if repeats > repeatBound { v.append("\(repeats) replies repeated, more than the \(repeatBound) the kills allow") }
        if bank.total != bank.expectedTotal { v.append("bank: money not conserved (\(bank.total), not \(bank.expectedTotal))") }
        if bank.balanceMismatches > 0 { v.append("bank: \(bank.balanceMismatches) balances differ from a replay of the accepted transfers") }
        if bank.notAppliedOnce > 0 { v.append("bank: \(bank.notAppliedOnce) transfers not applied exactly once") }
        if bank.logWrong > 0 { v.append("bank: \(bank.logWrong) transfers without their three log entries") }
        if timers.fired != timers.set { v.append("timer: \(timers.set - timers.fired) of \(timers.set) timers never fired") }
        if timers.early > 0 { v.append("timer: \(timers.early) timers fired early") }
        if unplannedExits > 0 { v.append("\(unplannedExits) supervisor exits the run did not cause") }
        if orphansKilled > 0 { v.append("\(orphansKilled) processes outlived their supervisor") }
        violations = v
    }

    /// The report as the README shows it.
    public var text: String {
        var lines = ["chaos: \(Int(seconds)) s, seed \(seed)"]
        lines.append("bot     updates  replies  lost  repeated  out-of-order  sends  429s")
        for (name, b) in bots.sorted(by: { $0.key < $1.key }) {
            let share = String(format: "%.1f", b.tooManyRequestsShare * 100)
            lines.append(pad(name, -7) + pad(b.updates, 8) + pad(b.delivered, 9) + pad(b.lost, 6) + pad(b.repeats, 10)
                         + pad(b.outOfOrder, 14) + pad(b.sends, 7) + "  \(b.tooManyRequests) (\(share)%)")
        }
        let killText = kills.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("kills: \(killText) (\(killsSkipped) found nothing to kill); torn journal tail \(tornTailBytes) bytes; disk full \(Int(fullDiskSeconds)) s")
        let repeats = bots.values.reduce(0) { $0 + $1.repeats }
        lines.append("repeated replies: \(repeats), bound for these kills: \(repeatBound)")
        lines.append("bank: total \(bank.total) (expected \(bank.expectedTotal)), \(bank.accepted) transfers accepted, "
                     + "\(bank.balanceMismatches) balances off a replay, \(bank.notAppliedOnce) not applied once, \(bank.logWrong) logs wrong")
        lines.append("timers: \(timers.fired) of \(timers.set) fired, \(timers.early) early")
        for r in recovery {
            lines.append("recovery from kill -9 of \(r.role): p50 \(String(format: "%.2f", r.p50)) s, max \(String(format: "%.2f", r.max)) s (\(r.kills) kills)")
        }
        lines.append("unplanned supervisor exits: \(unplannedExits); processes that outlived their supervisor: \(orphansKilled)")
        for (name, b) in bots.sorted(by: { $0.key < $1.key }) where !b.examples.isEmpty {
            lines += b.examples.map { "  \(name): \($0)" }
        }
        lines.append(violations.isEmpty ? "no violations" : "VIOLATIONS:\n" + violations.map { "  - \($0)" }.joined(separator: "\n"))
        return lines.joined(separator: "\n")
    }

    /// `value` right-aligned in `width` columns (left-aligned for a negative width).
    private func pad(_ value: Any, _ width: Int) -> String {
        let text = "\(value)"
        let fill = String(repeating: " ", count: max(0, abs(width) - text.count))
        return width < 0 ? text + fill : fill + text
    }
}
