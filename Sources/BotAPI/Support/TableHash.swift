/// The hash of the runtime's own table keys: the broker's job ids, peers and queue keys, the
/// plain-HTTP client's transfer numbers.
///
/// `Dictionary` and `Set` hash a key with SipHash-1-3 unless the key's type gives its own
/// `_rawHashValue(seed:)`; for an integer that is ~100 instructions, and the broker looks keys
/// up some 30 times per update (its jobs, a worker's jobs in flight, the chats' queues, the
/// peers): 8% of its instructions (`scripts/bench instructions`). These keys are the runtime's
/// own numbers or a peer's identity, never chosen by whoever writes to the bot, so SipHash's
/// defence against crafted collisions buys nothing here; a 64-bit finalizer (MurmurHash3's
/// `fmix64`: every input bit moves every output bit, so the low bits a table indexes by are
/// spread for sequential ids and for ids that differ only in their high bits) costs ~10.
///
/// Spread matters as much as cost: a table indexes by the low bits and probes linearly, and
/// its delete shifts back the run of occupied buckets after the removed key. Sequential keys
/// hashed to themselves fill one unbroken run, so every delete walked all the keys in the
/// table (see `PlainHTTPTransferID`).
package enum TableHash {
    @inline(__always)
    package static func hash(_ value: UInt64, seed: Int) -> Int {
        var h = value ^ UInt64(UInt(bitPattern: seed))
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return Int(Int64(bitPattern: h))
    }
}
