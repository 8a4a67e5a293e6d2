import GRDB

/// The bot's shared state, as a serial handler sees it: its tables in the sequencer's SQLite
/// store, inside the transaction that also records the update as applied and the jobs it
/// emitted. Everything a handler writes here commits with its update or not at all.
///
/// ```swift
/// bot.onCommand("balance", .serial) { ctx in
///     let n = try ctx.state.read { db in try Int.fetchOne(db, sql: "SELECT balance FROM account WHERE user = ?", arguments: [ctx.userID]) }
///     try await ctx.reply("Balance: \(n ?? 0)")
/// }
/// ```
///
/// The closures are synchronous on purpose: SQLite work is short, and a handler that awaits
/// the network between two of them still sees its own writes (the transaction stays open).
/// (Named `SharedState`, not `State`, so that a bot can call its own type `State`.)
public struct SharedState: Sendable {
    let effects: any HandlerEffects

    /// Runs `body` against the store (reads see this update's own earlier writes).
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try effects.withStore(body)
    }

    /// Runs `body` against the store; its writes commit with the update.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try effects.withStore(body)
    }
}
