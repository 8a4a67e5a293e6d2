import BotAPI
import Foundation

/// A peer as the broker's tables know it: its identity on the broker's sockets (ZeroMQ's routing
/// id; for a worker on another host, `RemotePeer.key`), hashed once when its message arrives.
///
/// The tables look a peer up several times per update (its DONE, the next job's slot, the
/// assignment). Keyed by `Data`, every lookup hashed the identity's bytes and compared them
/// through `Data`'s storage and exclusivity checks, ~1,400 instructions a lookup; here a lookup
/// hashes one integer and compares two small arrays (the broker: 5% fewer instructions per
/// update, `scripts/bench instructions`).
package struct PeerID: Hashable, Sendable, CustomStringConvertible {
    /// The identity as the sockets take it.
    package let bytes: Data
    /// The same bytes, for equality without `Data`'s checks.
    private let key: [UInt8]
    private let hash: Int

    package init(_ bytes: Data) {
        self.bytes = bytes
        // From the bytes as one buffer: `[UInt8](bytes)` copied them through `Data`'s iterator,
        // ~920 instructions for an identity of a few bytes, once per message the broker reads.
        (key, hash) = bytes.withUnsafeBytes { raw in
            var hasher = Hasher()
            hasher.combine(bytes: raw)
            return ([UInt8](raw), hasher.finalize())
        }
    }

    /// A peer named by a string (tests, and peers whose identity is text).
    package init(_ name: String) {
        self.init(Data(name.utf8))
    }

    /// Whether `bytes` are this peer's identity: one compare, no hash and no copy (the broker
    /// keeps the last message's peer, and a bundle's messages, read one after another, share
    /// their sender).
    package func isNamed(by bytes: Data) -> Bool {
        bytes.withUnsafeBytes { raw in key.withUnsafeBytes { Self.same(raw, $0) } }
    }

    package static func == (a: PeerID, b: PeerID) -> Bool {
        a.isSame(as: b)
    }

    /// `==` by name, for a caller that holds an optional (no optional made of `other`).
    @inline(__always)
    package func isSame(as other: PeerID) -> Bool {
        // The bytes by `memcmp`: `Array`'s `==` on two buffers was ~175 instructions.
        hash == other.hash && key.withUnsafeBytes { a in other.key.withUnsafeBytes { Self.same(a, $0) } }
    }

    @inline(__always)
    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(hash)
    }

    /// The hash computed once, mixed with the table's seed (`TableHash`): without it, each
    /// lookup ran SipHash over that integer again.
    package func _rawHashValue(seed: Int) -> Int {
        TableHash.hash(UInt64(UInt(bitPattern: hash)), seed: seed)
    }

    package var description: String { RemotePeer.name(bytes) }
}
