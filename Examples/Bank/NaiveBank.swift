import TGCluster
import Foundation

/// The guide's unsafe bank, kept to show the race the sequencer prevents: concurrent handlers
/// read both balances, await a network call, then write back what they computed. Two
/// transfers touching one account overwrite each other, and money appears or vanishes.
public enum NaiveBank {
    static let database: DatabaseQueue = {
        let dir = ProcessInfo.processInfo.environment["TGCLUSTER_DATA_DIR"] ?? "./.tgcluster"
        var config = Configuration()
        config.busyMode = .timeout(10)
        let queue = try! DatabaseQueue(path: dir + "/naive-bank.sqlite", configuration: config)
        try! queue.write { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS account(user INTEGER PRIMARY KEY, balance INTEGER NOT NULL)")
        }
        return queue
    }()

    public static func register(on bot: Bot) {
        bot.onCommand("open") { ctx in
            guard let user = ctx.userID else { return }
            try await database.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO account(user, balance) VALUES (?, ?)", arguments: [user, Bank.startingBalance])
            }
            try await ctx.reply("Account opened. Balance: \(Bank.startingBalance)")
        }
        bot.onCommand("balance") { ctx in
            let balance = try await database.read { db in try Int.fetchOne(db, sql: "SELECT balance FROM account WHERE user = ?", arguments: [ctx.userID]) }
            try await ctx.reply("Balance: \(balance ?? 0)")
        }
        bot.onCommand("transaction") { ctx in
            guard let sender = ctx.userID else { return }
            guard case .success(let request) = TransferRequest.parse(ctx.arguments, sender: sender) else {
                try await ctx.reply("Refused: bad request")
                return
            }
            let (from, to) = try await database.read { db in
                (try Int.fetchOne(db, sql: "SELECT balance FROM account WHERE user = ?", arguments: [sender]),
                 try Int.fetchOne(db, sql: "SELECT balance FROM account WHERE user = ?", arguments: [request.recipient]))
            }
            guard let from, let to, from >= request.amount else {
                try await ctx.reply("Refused: insufficient funds or unknown recipient")
                return
            }
            try await ctx.reply("Preparing...")                    // the await that lets others in
            try await database.write { db in
                try db.execute(sql: "UPDATE account SET balance = ? WHERE user = ?", arguments: [from - request.amount, sender])
                try db.execute(sql: "UPDATE account SET balance = ? WHERE user = ?", arguments: [to + request.amount, request.recipient])
            }
            try await ctx.reply("Transferring money...")
            try await ctx.reply("Done!")
        }
    }
}
