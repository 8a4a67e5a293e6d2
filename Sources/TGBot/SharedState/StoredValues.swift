import Locking
import Synchronization

/// A user's or a chat's values kept across updates and conversations (python-telegram-bot's
/// `context.user_data` and `chat_data`), in the sequencer's store: read on first use in a
/// handler, written when the handler returns, in its update's transaction — a handler that
/// throws leaves them as they were.
///
/// ```swift
/// bot.onCommand("remember", .serial) { ctx in
///     let data = try ctx.userData
///     data["colour"] = ctx.arguments.first
///     try await ctx.reply("Noted. I know your \(data.all.keys.sorted().joined(separator: ", ")).")
/// }
/// ```
public final class StoredValues: Sendable {
    private let values: Mutex<(current: [String: String], changed: Bool)>

    package init(_ values: [String: String]) {
        self.values = Mutex((values, false))
    }

    /// A value, or nil; setting nil removes it.
    public subscript(key: String) -> String? {
        get { values.locked { $0.current[key] } }
        set { values.locked { $0.current[key] = newValue; $0.changed = true } }
    }

    /// Every value.
    public var all: [String: String] { values.locked { $0.current } }

    /// Forgets every value.
    public func removeAll() {
        values.locked { $0.current = [:]; $0.changed = true }
    }

    /// What to write back, if anything changed.
    package var changes: [String: String]? {
        values.locked { $0.changed ? $0.current : nil }
    }
}
