import BotAPI
import Foundation

/// What a handler accepts, as a value: built from the cases below and combined with `&&`, `||`
/// and `!` (aiogram's magic filters, python-telegram-bot's `filters.TEXT & ~filters.COMMAND`).
///
/// ```swift
/// bot.on(.text && !.command && .chatType("private")) { ctx in /* … */ }
/// bot.on(.photo || .document) { ctx in /* … */ }
/// ```
///
/// A filter reads the update's bytes only (no decode, no store): the broker evaluates it for
/// every update to choose where it goes, in microseconds. Its `label` is part of the bot's
/// fingerprint, so two processes whose filters differ refuse to form one cluster.
public struct Filter: Sendable {
    /// The update kinds the filter can accept; empty means any kind.
    public let kinds: Set<UpdateKind>
    /// What it accepts, in words (`command /start && chat type private`).
    public let label: String
    /// The test without the kinds check (the broker's route checks the kinds first).
    package let test: @Sendable (RawUpdate) -> Bool

    /// A filter of your own: `test` sees the update's bytes (`raw.text`, `raw.string(at:)`;
    /// `raw.text(hasPrefix:)` decides most texts without decoding them).
    public init(_ label: String, kinds: Set<UpdateKind> = [], _ test: @escaping @Sendable (RawUpdate) -> Bool) {
        self.label = label
        self.kinds = kinds
        self.test = test
    }

    /// Whether `raw` passes.
    public func matches(_ raw: RawUpdate) -> Bool {
        (kinds.isEmpty || kinds.contains(raw.kind)) && test(raw)
    }

    // MARK: - Combinators

    public static func && (a: Filter, b: Filter) -> Filter {
        let kinds = a.kinds.isEmpty ? b.kinds : b.kinds.isEmpty ? a.kinds : a.kinds.intersection(b.kinds)
        return Filter("(\(a.label) && \(b.label))", kinds: kinds) { a.matches($0) && b.matches($0) }
    }

    public static func || (a: Filter, b: Filter) -> Filter {
        let kinds = a.kinds.isEmpty || b.kinds.isEmpty ? [] : a.kinds.union(b.kinds)
        return Filter("(\(a.label) || \(b.label))", kinds: kinds) { a.matches($0) || b.matches($0) }
    }

    public static prefix func ! (a: Filter) -> Filter {
        Filter("!\(a.label)") { !a.matches($0) }
    }

    /// Any of `filters` (none: nothing).
    public static func any(of filters: [Filter]) -> Filter {
        guard let first = filters.first else { return Filter("nothing") { _ in false } }
        return filters.dropFirst().reduce(first, ||)
    }
}
