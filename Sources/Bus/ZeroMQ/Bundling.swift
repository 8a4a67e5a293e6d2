import Foundation

/// How a socket carries several messages for one peer in one ZeroMQ message, and takes them
/// apart again: the format is the protocol's (a `Wire` frame), the packing the loop's.
///
/// libzmq's cost is per message on both sides: a send, the I/O thread's encoding and its
/// pipes, an allocation and a receive at the other end. A broker's round hands a worker tens
/// of JOBs at once under load, and a worker's round finishes tens of jobs: one message for
/// each peer per round instead of one per job (`scripts/bench instructions`). A message alone
/// in its round goes as it is, so light load pays nothing for this.
///
/// Only a round's messages on the loop's own thread are packed (what another thread sends
/// while the loop waits leaves at once, alone); the messages for one peer keep their order,
/// and a bundle is never packed into another (one its sender made goes as it is: `isPacked`).
public struct Bundling: Sendable {
    /// The messages' last parts, all for the same peer → the one part that carries them.
    public var pack: @Sendable ([Data]) -> Data
    /// A received message's last part → the parts it carries, in order; nil when it is not
    /// a bundle (or not a well-formed one: it is then delivered as it came, for the consumer
    /// to refuse with its reason).
    public var unpack: @Sendable (Data) -> [Data]?
    /// Whether a message's last part is a bundle already (its sender packed it): it goes as it
    /// is, between the peer's messages before and after it, never into another bundle.
    public var isPacked: @Sendable (Data) -> Bool
    /// At most this many messages in one bundle.
    public var maxMessages: Int
    /// At most this many bytes of messages in one bundle (a message this large goes alone):
    /// bounds what a high-water mark counted in messages holds.
    public var maxBytes: Int

    public init(pack: @escaping @Sendable ([Data]) -> Data, unpack: @escaping @Sendable (Data) -> [Data]?,
                isPacked: @escaping @Sendable (Data) -> Bool = { _ in false },
                maxMessages: Int = 64, maxBytes: Int = 256 << 10) {
        precondition(maxMessages >= 2 && maxBytes > 0)
        self.pack = pack
        self.unpack = unpack
        self.isPacked = isPacked
        self.maxMessages = maxMessages
        self.maxBytes = maxBytes
    }

    /// `messages` (each a routing prefix, possibly empty, and a last part) with the messages
    /// for each peer packed together, in their order; the peers in the order of their first
    /// message (ZeroMQ orders nothing across peers either). A peer's one message stays as it was.
    public func packed(_ messages: [[Data]]) -> [[Data]] {
        // A closure, not the key path `\.isEmpty`: a key path here is read through
        // `swift_getAtKeyPath`, ~700 instructions a message (`scripts/bench instructions`).
        guard messages.count > 1, !messages.contains(where: { $0.isEmpty }) else { return messages }
        // Each message's peer, as the index of the peer's first message; a round speaks to a
        // few peers, so a scan over them costs less than hashing each routing prefix.
        var firsts: [Int] = []
        var peer = [Int](repeating: 0, count: messages.count)
        var last = 0
        for index in messages.indices {
            if !firsts.isEmpty, Self.samePeer(messages[firsts[last]], messages[index]) {
                peer[index] = last
            } else if let found = firsts.firstIndex(where: { Self.samePeer(messages[$0], messages[index]) }) {
                last = found
                peer[index] = found
            } else {
                last = firsts.count
                firsts.append(index)
                peer[index] = last
            }
        }
        if firsts.count == messages.count { return messages }
        var out: [[Data]] = []
        out.reserveCapacity(firsts.count)
        var parts: [Data] = []
        for (p, first) in firsts.enumerated() {
            var bytes = 0
            for index in first..<messages.count where peer[index] == p {
                let part = messages[index][messages[index].count - 1]
                if isPacked(part) {
                    if !parts.isEmpty { out.append(close(&parts, for: messages[first])) }
                    bytes = 0
                    out.append(messages[index])
                    continue
                }
                if parts.count == maxMessages || (!parts.isEmpty && bytes + part.count > maxBytes) {
                    out.append(close(&parts, for: messages[first]))
                    bytes = 0
                }
                parts.append(part)
                bytes += part.count
            }
            out.append(close(&parts, for: messages[first]))
        }
        return out
    }

    /// The message for `parts` (one as it was, more packed), behind `like`'s routing prefix.
    private func close(_ parts: inout [Data], for like: [Data]) -> [Data] {
        defer { parts.removeAll(keepingCapacity: true) }
        var message = like
        message[message.count - 1] = parts.count == 1 ? parts[0] : pack(parts)
        return message
    }

    /// Whether two messages have the same routing prefix (all parts but the last).
    private static func samePeer(_ a: [Data], _ b: [Data]) -> Bool {
        guard a.count == b.count else { return false }
        for k in 0..<(a.count - 1) where a[k] != b[k] { return false }
        return true
    }
}
