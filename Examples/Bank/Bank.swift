import TGCluster
import Foundation

/// The safe bank: every command that touches balances is `.serial`.
///
/// A library apart from the `bankbot` executable, so that its tests (Examples/BankTests) can
/// build the same bot: the layout the README recommends for a bot's own package.
public enum Bank {
    /// What a new account holds.
    public static let startingBalance = 1000

    /// The bank's tables, its log job and its commands.
    public static func register(on bot: Bot) {
        migrate(bot)
        registerAccounts(on: bot)
        registerTransfers(on: bot)
        bot.onError { error, ctx in
            ctx?.logger.error("bank handler failed", metadata: ["error": "\(error)"])
        }
    }

    private static func migrate(_ bot: Bot) {
        bot.migration("bank.v1") { db in
            try db.create(table: "account") { t in
                t.primaryKey("user", .integer)
                t.column("balance", .integer).notNull()
                t.column("opened_at", .double).notNull()
            }
            try db.create(table: "transfer") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("update_id", .integer).notNull().unique()
                t.column("sender", .integer).notNull().indexed()
                t.column("recipient", .integer).notNull().indexed()
                t.column("amount", .integer).notNull()
                t.column("at", .double).notNull()
            }
            // Written by the pool's log jobs, once per job key (delivery is at-least-once).
            try db.create(table: "bank_log") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("key", .text).notNull().unique()
                t.column("transfer", .integer).notNull().indexed()
                t.column("entry", .text).notNull()
                t.column("at", .double).notNull()
            }
        }
    }

    /// `/open`, `/balance`, `/history`.
    private static func registerAccounts(on bot: Bot) {
        bot.job("bank.log") { (entry: LogEntry, ctx: JobContext) in
            try await ctx.database.write { db in
                try db.execute(sql: "INSERT OR IGNORE INTO bank_log(key, transfer, entry, at) VALUES (?, ?, ?, ?)",
                               arguments: [ctx.key ?? UUID().uuidString, entry.transfer, entry.entry, Date().timeIntervalSince1970])
            }
            return true
        }

        bot.onCommand("open", .serial) { ctx in
            guard let user = ctx.userID else { return }
            let balance = try ctx.state.write { db -> Int? in
                if let balance = try Int.fetchOne(db, sql: "SELECT balance FROM account WHERE user = ?", arguments: [user]) { return balance }
                try db.execute(sql: "INSERT INTO account(user, balance, opened_at) VALUES (?, ?, ?)",
                               arguments: [user, startingBalance, Date().timeIntervalSince1970])
                return nil
            }
            if let balance {
                try await ctx.reply("Account already open. Balance: \(balance)")
            } else {
                try await ctx.reply("Account opened. Balance: \(startingBalance)")
            }
        }

        bot.onCommand("balance", .serial) { ctx in
            guard let user = ctx.userID else { return }
            let balance = try ctx.state.read { db in try Int.fetchOne(db, sql: "SELECT balance FROM account WHERE user = ?", arguments: [user]) }
            if let balance {
                try await ctx.reply("Balance: \(balance)")
            } else {
                try await ctx.reply("Refused: you have no account; send /open first")
            }
        }

        bot.onCommand("history", .serial) { ctx in
            guard let user = ctx.userID else { return }
            let rows = try ctx.state.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT sender, recipient, amount FROM transfer WHERE sender = ? OR recipient = ? ORDER BY id DESC LIMIT 10
                    """, arguments: [user, user])
            }
            if rows.isEmpty {
                try await ctx.reply("No transactions yet.")
                return
            }
            let lines = rows.map { row -> String in
                let amount: Int = row["amount"]
                let sender: Int64 = row["sender"]
                let recipient: Int64 = row["recipient"]
                return sender == user ? "-\(amount) to \(recipient)" : "+\(amount) from \(sender)"
            }
            try await ctx.reply("Recent transactions:\n" + lines.joined(separator: "\n"))
        }
    }

    /// `/transaction <amount> <recipient>`: the balances change in the sequencer; the messages
    /// and log entries leave as jobs after the commit.
    private static func registerTransfers(on bot: Bot) {
        bot.onCommand("transaction", .serial) { ctx in
            guard let sender = ctx.userID else { return }
            let request: (amount: Int, recipient: Int64)
            switch TransferRequest.parse(ctx.arguments, sender: sender) {
            case .failure(let refusal):
                try await ctx.reply("Refused: \(refusal.reason)")
                return
            case .success(let r):
                request = r
            }
            let outcome = try ctx.state.write { db -> Result<Int64, Refusal> in
                guard let have = try Int.fetchOne(db, sql: "SELECT balance FROM account WHERE user = ?", arguments: [sender]) else {
                    return .failure(Refusal(reason: "you have no account; send /open first"))
                }
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE user = ?", arguments: [request.recipient]) == true else {
                    return .failure(Refusal(reason: "unknown recipient \(request.recipient)"))
                }
                guard have >= request.amount else {
                    return .failure(Refusal(reason: "insufficient funds (balance \(have), amount \(request.amount))"))
                }
                try db.execute(sql: "UPDATE account SET balance = balance - ? WHERE user = ?", arguments: [request.amount, sender])
                try db.execute(sql: "UPDATE account SET balance = balance + ? WHERE user = ?", arguments: [request.amount, request.recipient])
                try db.execute(sql: "INSERT INTO transfer(update_id, sender, recipient, amount, at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [ctx.updateID, sender, request.recipient, request.amount, Date().timeIntervalSince1970])
                return .success(db.lastInsertedRowID)
            }
            switch outcome {
            case .failure(let refusal):
                try await ctx.reply("Refused: \(refusal.reason)")
            case .success(let transfer):
                // The guide's notifications and log entries, as jobs after the commit, in this order.
                _ = try ctx.runAsync("bank.log", LogEntry(transfer: transfer, entry: "BEGINNING"))
                try await ctx.reply("Preparing...")
                _ = try ctx.runAsync("bank.log", LogEntry(transfer: transfer, entry: "CALCULATED"))
                try await ctx.reply("Transferring money...")
                _ = try ctx.runAsync("bank.log", LogEntry(transfer: transfer, entry: "FINISHED"))
                try await ctx.reply("Done!")
            }
        }
    }
}

struct LogEntry: Codable, Sendable {
    var transfer: Int64
    var entry: String
}
