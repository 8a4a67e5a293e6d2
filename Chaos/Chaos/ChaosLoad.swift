import Foundation
import Sim
import TGClusterTesting

/// The chaos run's traffic, as users would send it, and the record of what was sent (the
/// audit's "expected"): echo texts over many chats, bank transfers among a hundred accounts
/// (some refused), and one timer per new chat. Seeded; injected every 100 ms.
struct ChaosLoad: Sendable {
    struct Sent: Sendable {
        var updateID: Int64
        var chat: Int64
        var text: String
        /// Unix seconds, just before the emulator queued it.
        var at: Double
    }

    /// Updates per second of each bot.
    struct Rates: Sendable {
        var echo = 10.0
        var bank = 2.0
        var timer = 1.0

        func scaled(_ factor: Double) -> Rates { Rates(echo: echo * factor, bank: bank * factor, timer: timer * factor) }
    }

    static let echoChats: [Int64] = (0..<300).map { 10_000 + $0 }
    static let bankUsers: [Int64] = (1...100).map { 70_000 + $0 }
    static let firstTimerChat: Int64 = 20_000
    /// Accounts open with this much (the example's starting balance).
    static let startingBalance = 1000

    var echo: [Sent] = []
    /// `/open` of every account, then the transfers.
    var bank: [Sent] = []
    /// `/set <seconds>`, one per chat.
    var timer: [Sent] = []

    /// Sends for `seconds` at `rates`; returns what was sent.
    static func run(sims: [ChaosPlan.Bot: SimHarness], seconds: Double, rates: Rates, seed: UInt64) async throws -> ChaosLoad {
        var load = ChaosLoad()
        var rng = SplitMix64(seed: seed ^ 0x10AD)
        var factory = UpdateFactory(seed: seed)
        let start = ContinuousClock.now
        var owed: [ChaosPlan.Bot: Double] = [:]
        var echoCount = 0, timerCount = 0
        func inject(_ bot: ChaosPlan.Bot, _ messages: [(chat: Int64, text: String)]) async throws -> [Sent] {
            guard !messages.isEmpty, let sim = sims[bot] else { return [] }
            let updates = messages.map { m -> [String: Any] in
                factory.date = Int(Date().timeIntervalSince1970)
                var u = factory.textMessageUpdate(chatID: m.chat, text: m.text)
                u["update_id"] = nil
                return u
            }
            let at = Date().timeIntervalSince1970
            let ids = try await sim.inject(updates)
            return zip(ids, messages).map { Sent(updateID: $0, chat: $1.chat, text: $1.text, at: at) }
        }
        load.bank += try await inject(.bank, bankUsers.map { ($0, "/open") })
        var tick = 0
        while ContinuousClock.now - start < .seconds(seconds) {
            tick += 1
            for (bot, rate) in [(ChaosPlan.Bot.echo, rates.echo), (.bank, rates.bank), (.timer, rates.timer)] {
                owed[bot, default: 0] += rate / 10
            }
            var echoes: [(Int64, String)] = []
            while owed[.echo, default: 0] >= 1 {
                owed[.echo, default: 0] -= 1
                echoCount += 1
                echoes.append((echoChats[Int(rng.next() % UInt64(echoChats.count))], "echo \(echoCount)"))
            }
            var transfers: [(Int64, String)] = []
            while owed[.bank, default: 0] >= 1 {
                owed[.bank, default: 0] -= 1
                let sender = bankUsers[Int(rng.next() % UInt64(bankUsers.count))]
                let recipient = bankUsers[Int(rng.next() % UInt64(bankUsers.count))]
                let roll = rng.next() % 100
                let amount = roll < 2 ? "x" : "\(1 + rng.next() % (roll < 10 ? 3000 : 150))"
                transfers.append((sender, "/transaction \(amount) \(recipient)"))
            }
            var timers: [(Int64, String)] = []
            while owed[.timer, default: 0] >= 1 {
                owed[.timer, default: 0] -= 1
                timerCount += 1
                timers.append((firstTimerChat + Int64(timerCount), "/set \(1 + rng.next() % 20)"))
            }
            load.echo += try await inject(.echo, echoes)
            load.bank += try await inject(.bank, transfers)
            load.timer += try await inject(.timer, timers)
            let next = start + .milliseconds(100 * tick)
            if next > .now { try await Task.sleep(until: next, clock: .continuous) }
        }
        return load
    }
}
