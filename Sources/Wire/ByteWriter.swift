import BotAPI
import Foundation

/// Big-endian fixed-width fields, the one codec of the cluster's frames and of the journal.
package struct ByteWriter {
    package var data = Data()

    package init() {}

    /// With room for `capacity` bytes: one allocation where appends would grow it step by step.
    package init(capacity: Int) {
        data = Data(capacity: capacity)
    }

    package mutating func u8(_ v: UInt8) { data.append(byte: v) }
    package mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.bigEndian) { data.append(contentsOf: $0) } }
    package mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { data.append(contentsOf: $0) } }
    package mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { data.append(contentsOf: $0) } }
    package mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    package mutating func f64(_ v: Double) { u64(v.bitPattern) }
    package mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }

    /// A string of at most 65,535 UTF-8 bytes, u16-length-prefixed. Longer text (an error
    /// message) is cut at the limit rather than refused: it is for people, not for matching.
    package mutating func string(_ s: String) {
        let bytes = Self.utf8(s, atMost: Int(UInt16.max))
        u16(UInt16(bytes.count))
        data.append(contentsOf: bytes)
    }

    /// A string of at most 255 UTF-8 bytes, u8-length-prefixed (an update's kind in the
    /// envelope, whose layout the journal keeps on disk).
    package mutating func shortString(_ s: String) {
        let bytes = Self.utf8(s, atMost: 255)
        u8(UInt8(bytes.count))
        data.append(contentsOf: bytes)
    }

    /// The UTF-8 of `s`, cut to `limit` bytes at a character's start, never inside one: a cut
    /// inside would decode as a replacement character, and the string would change on the way
    /// (found by the frame fuzz target).
    static func utf8(_ s: String, atMost limit: Int) -> Substring.UTF8View {
        let utf8 = s.utf8
        guard utf8.count > limit else { return utf8[...] }
        var end = utf8.index(utf8.startIndex, offsetBy: limit)
        while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) {
            end = utf8.index(before: end)
        }
        return utf8[..<end]
    }

    /// An optional i64: presence u8, then the value (0 when absent), fixed width either way.
    package mutating func optionalI64(_ v: Int64?) {
        bool(v != nil)
        i64(v ?? 0)
    }

    package mutating func bytes(_ d: Data) { data.append(d) }

    /// Bytes of any length: a u32 length, then the bytes.
    package mutating func blob(_ d: Data) {
        u32(UInt32(d.count))
        data.append(d)
    }
}
