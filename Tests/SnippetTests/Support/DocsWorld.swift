import Foundation
import TGCluster

// What the documentation's examples take from the reader's own code (a price service, the
// bot's record types, a feature's router): declared here, once, so that the blocks compile
// as written. The names a block gets as given (`bot`, `ctx`, `tester`, …) are the parameters
// of the function scripts/extract-snippets wraps it in.

/// A price service the examples call (seconds on the network).
enum Prices {
    static func quote(_ item: String) async throws -> Int { 100 }
    static func fetch(_ item: String) async throws -> Int { 100 }
}

func fetchPrice(_ item: String) async throws -> Int { 100 }

/// An image service (a named job's slow work).
enum Thumbnails {
    static func make(_ url: String) async throws -> String { url }
}

/// The bank's transfer, on its tables (README "Shared state").
enum Bank {
    static func transfer(_ db: Database, _ ctx: Context) throws -> Bool { true }
}

/// The bot's own record type, saved with GRDB.
struct Purchase: Codable, PersistableRecord {
    var user: Int64
    var price: Int
}

/// The bot's own table of accounts.
enum Account {
    static func debit(_ db: Database, user: Int64, by amount: Int) throws {
        try db.execute(sql: "UPDATE account SET balance = balance - ? WHERE user = ?", arguments: [amount, user])
    }
}

/// A transfer's log entry, sent to a named job.
struct Entry: Codable, Sendable {
    var from: Int64
    var to: Int64
    var amount: Int
}

enum MemberStep: String { case name }
enum FamilyStep: String { case choosing }

/// A parent conversation, for the nested one's example.
let family = ConversationHandler<FamilyStep>("family")

/// A feature's router, for the routers' example.
let games = Router("games")

/// The reader's function that builds the bot (so that tests and `main.swift` share it).
func makeBot() -> Bot { Bot() }
