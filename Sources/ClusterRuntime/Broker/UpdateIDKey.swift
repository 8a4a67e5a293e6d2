import BotAPI

/// An update id as a table key, hashed with `TableHash` instead of SipHash (~80 instructions a
/// lookup, four per update between the broker's batch check and the journal's open records).
/// Update ids are Telegram's, sequential, never chosen by whoever writes to the bot, so
/// SipHash's defence against crafted collisions buys nothing here (as for `JobID`).
struct UpdateIDKey: Hashable, Sendable {
    let raw: Int64

    init(_ raw: Int64) { self.raw = raw }

    func hash(into hasher: inout Hasher) { hasher.combine(raw) }

    func _rawHashValue(seed: Int) -> Int { TableHash.hash(UInt64(bitPattern: raw), seed: seed) }
}
