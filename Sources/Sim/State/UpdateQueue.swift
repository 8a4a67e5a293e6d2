import BotAPI
import DequeModule
import Foundation

/// The bot's pending updates, as Telegram's server keeps them: in `update_id` order, until
/// confirmed (getUpdates with a higher offset) or delivered (a webhook's 2xx).
///
/// A pure value type: the emulator drives it under its lock, tests drive it directly.
public struct UpdateQueue: Sendable {
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var kind: UpdateKind
        public var key: RoutingKey?
        public var bytes: Data
    }

    /// Kinds delivered when `allowed_updates` is empty or unset (all but three, per the docs).
    public static let defaultExcluded: Set<String> = ["chat_member", "message_reaction", "message_reaction_count"]

    public private(set) var entries = Deque<Entry>()
    public private(set) var nextID: Int64
    /// The filter set by `allowed_updates`; nil means the default.
    public var allowed: Set<String>?
    /// Updates dropped at creation by the filter.
    public private(set) var filtered = 0

    public init(firstID: Int64) { nextID = firstID }

    /// Ids go on from `next` (after a reset), never back.
    public mutating func `continue`(from next: Int64) {
        nextID = max(nextID, next)
    }

    public var count: Int { entries.count }

    /// Takes an update id for a new update that does not carry one.
    public mutating func takeID() -> Int64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Whether an update of `kind` passes the current `allowed_updates` filter.
    public func admits(_ kind: UpdateKind) -> Bool {
        if let allowed { return allowed.contains(kind.rawValue) }
        return !Self.defaultExcluded.contains(kind.rawValue)
    }

    /// Adds an update (its id at least `nextID`, which then moves past it); returns false when
    /// the filter drops it, as Telegram applies the filter when an update is created.
    @discardableResult
    public mutating func push(_ entry: Entry) -> Bool {
        nextID = max(nextID, entry.id + 1)
        guard admits(entry.kind) else {
            filtered += 1
            return false
        }
        if let last = entries.last, last.id > entry.id {
            let index = entries.firstIndex { $0.id > entry.id } ?? entries.endIndex
            entries.insert(entry, at: index)
        } else {
            entries.append(entry)
        }
        return true
    }

    /// getUpdates' `offset`: a positive one confirms (forgets) every update below it; a
    /// negative one keeps only the last `-offset` updates.
    public mutating func apply(offset: Int64) {
        if offset > 0 {
            while let first = entries.first, first.id < offset { entries.removeFirst() }
        } else if offset < 0 {
            let keep = Int(clamping: -offset)
            if entries.count > keep { entries.removeFirst(entries.count - keep) }
        }
    }

    /// The first `limit` pending updates.
    public func peek(limit: Int) -> ArraySlice<Entry> {
        Array(entries.prefix(limit))[...]
    }

    /// Removes one delivered update (webhooks deliver out of global order, per chat).
    public mutating func remove(id: Int64) {
        if let i = entries.firstIndex(where: { $0.id == id }) { entries.remove(at: i) }
    }

    public mutating func removeAll() { entries.removeAll() }

    /// `{"ok":true,"result":[...]}` for getUpdates.
    /// The answer for `entries`, broken the way `kind` says (see `SimConfiguration.BrokenUpdates`).
    static func brokenResponse(_ entries: some Collection<Entry>, _ kind: SimConfiguration.BrokenUpdates.Kind) -> Data {
        let whole = response(entries)
        switch kind {
        case .truncated:
            return whole.prefix(whole.count / 2)
        case .huge:
            guard let first = entries.first else { return whole }
            // A field of its own at the end of the update (after its kind, which a reader may
            // take from the first field after `update_id`).
            var out = Data(#"{"ok":true,"result":["#.utf8)
            out.append(first.bytes.dropLast())
            out.append(contentsOf: #","padding":""#.utf8)
            out.append(Data(repeating: UInt8(ascii: "x"), count: 12 << 20))
            out.append(contentsOf: #""}"#.utf8)
            out.append(whole.dropFirst(#"{"ok":true,"result":["#.utf8.count + first.bytes.count))
            return out
        }
    }

    public static func response(_ entries: some Collection<Entry>) -> Data {
        let head = #"{"ok":true,"result":["#.utf8
        var out = Data(capacity: head.count + entries.reduce(2) { $0 + $1.bytes.count + 1 })
        out.append(contentsOf: head)
        var first = true
        for e in entries {
            if !first { out.append(byte: UInt8(ascii: ",")) }
            first = false
            out.append(e.bytes)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }
}
