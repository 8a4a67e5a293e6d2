/// A transfer's number as the loop's table keys it. The numbers are the loop's own, counted up
/// from 1, never chosen by a server: the number itself is a good enough hash (consecutive
/// numbers fall in consecutive buckets), where `Dictionary`'s SipHash of a `UInt64` cost ~100
/// instructions per lookup, three lookups per request.
struct PlainHTTPTransferID: Hashable {
    let raw: UInt64

    init(_ raw: UInt64) { self.raw = raw }

    func hash(into hasher: inout Hasher) { hasher.combine(raw) }

    func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: raw) ^ seed }
}
