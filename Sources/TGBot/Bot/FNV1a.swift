/// FNV-1a, 64 bits: the one hash of the handler-table fingerprint, the rate limits' keys and the
/// sequencer's update digests (stable across processes and builds, unlike `Hasher`).
package enum FNV1a {
    package static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h &*= 0x100_0000_01b3
        }
        return h
    }
}
