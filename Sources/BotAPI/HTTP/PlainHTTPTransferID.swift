/// A transfer's number as the loop's table keys it. The numbers are the loop's own, counted up
/// from 1, never chosen by a server, so the table needs no SipHash (`Dictionary`'s default cost
/// ~100 instructions per lookup, three lookups per request): `TableHash`'s finalizer, ~10.
///
/// Not the number itself: consecutive numbers then fell in consecutive buckets, the transfers
/// in flight made one unbroken run, and a delete (which shifts back the run after the removed
/// key) walked all of them. With 100–256 in flight that was ~1,900 instructions per finished
/// request, 3% of a loaded worker's (`scripts/bench instructions`, callgrind's
/// `_NativeDictionary._delete(at:)`).
struct PlainHTTPTransferID: Hashable {
    let raw: UInt64

    init(_ raw: UInt64) { self.raw = raw }

    func hash(into hasher: inout Hasher) { hasher.combine(raw) }

    func _rawHashValue(seed: Int) -> Int { TableHash.hash(raw, seed: seed) }
}
