import BotAPI
import Foundation

/// Big-endian fixed-width fields, the one codec of the cluster's frames and of the journal.
///
/// The bytes go into memory of the writer's own and leave as one `Data` (`data`). A 4-byte
/// append to a `Data` that holds allocated bytes took ~900 instructions (its storage's
/// uniqueness and exclusivity checks); to an array ~110 (`append(contentsOf:)`'s generic path
/// and a `memcpy`, 14 per update in a broker); here a field is a store and a count. Not
/// copyable: the memory is the writer's alone, freed with it.
package struct ByteWriter: ~Copyable {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    package private(set) var count = 0

    package init() {
        self.init(capacity: 64)
    }

    /// With room for `capacity` bytes: one allocation where appends would grow it step by step.
    package init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    /// What was written, as one `Data` (a copy: handing the writer's memory over instead, as a
    /// `Data` with a deallocator, cost a worker ~1,100 instructions per update more than the
    /// copy saved, `scripts/bench instructions`).
    package var data: Data { Data(bytes: base, count: count) }

    /// What was written from `offset` on, as one `Data` (a copy).
    package func data(from offset: Int) -> Data {
        precondition(offset >= 0 && offset <= count, "an offset inside what was written")
        return Data(bytes: base + offset, count: count - offset)
    }

    package var isEmpty: Bool { count == 0 }

    /// Forgets what was written, keeping the room for the next.
    package mutating func removeAll() { count = 0 }

    /// The bytes written so far.
    package func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Writes `v` over the four bytes at `offset`, big-endian: a length or a checksum known only
    /// once what follows it is written.
    package mutating func patchU32(_ v: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= count, "a patch inside what was written")
        base.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Room for `n` more bytes.
    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if capacity - count < n { grow(to: count + n) }
    }

    private mutating func grow(to needed: Int) {
        let larger = max(capacity * 2, needed)
        let moved = UnsafeMutableRawPointer.allocate(byteCount: larger, alignment: 8)
        moved.copyMemory(from: base, byteCount: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    @inline(__always)
    private mutating func fixed<T: FixedWidthInteger>(_ v: T) {
        reserve(MemoryLayout<T>.size)
        base.storeBytes(of: v.bigEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    package mutating func u8(_ v: UInt8) { fixed(v) }
    package mutating func u16(_ v: UInt16) { fixed(v) }
    package mutating func u32(_ v: UInt32) { fixed(v) }
    package mutating func u64(_ v: UInt64) { fixed(v) }
    package mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    package mutating func f64(_ v: Double) { u64(v.bitPattern) }
    package mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }

    /// A string of at most 65,535 UTF-8 bytes, u16-length-prefixed. Longer text (an error
    /// message) is cut at the limit rather than refused: it is for people, not for matching.
    package mutating func string(_ s: String) {
        utf8(s, atMost: Int(UInt16.max)) { $0.u16(UInt16($1)) }
    }

    /// A string of at most 255 UTF-8 bytes, u8-length-prefixed (an update's kind in the
    /// envelope, whose layout the journal keeps on disk).
    package mutating func shortString(_ s: String) {
        utf8(s, atMost: 255) { $0.u8(UInt8($1)) }
    }

    /// The UTF-8 of `s`, cut to `limit` bytes (`cut`), after its length as `length` writes it.
    /// From the string's own bytes (`withUTF8`): appending a `String.UTF8View` went through its
    /// generic iterator, ~470 instructions for an update's kind.
    private mutating func utf8(_ s: String, atMost limit: Int, length: (inout ByteWriter, Int) -> Void) {
        var s = s
        s.withUTF8 { utf8 in
            let n = Self.cut(utf8, atMost: limit)
            length(&self, n)
            bytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8)[..<n]))
        }
    }

    /// How many of the UTF-8 bytes `utf8` to keep for at most `limit`: all of them if they fit,
    /// else cut at a character's start, never inside one (a cut inside would decode as a
    /// replacement character, and the string would change on the way: found by the frame fuzz
    /// target).
    static func cut(_ utf8: UnsafeBufferPointer<UInt8>, atMost limit: Int) -> Int {
        guard utf8.count > limit else { return utf8.count }
        var end = limit
        while end > 0, UTF8.isContinuation(utf8[end]) { end -= 1 }
        return end
    }

    /// An optional i64: presence u8, then the value (0 when absent), fixed width either way.
    package mutating func optionalI64(_ v: Int64?) {
        bool(v != nil)
        i64(v ?? 0)
    }

    package mutating func bytes(_ d: Data) { d.withUnsafeBytes { bytes($0) } }

    package mutating func bytes(_ raw: UnsafeRawBufferPointer) {
        guard let source = raw.baseAddress, !raw.isEmpty else { return }
        reserve(raw.count)
        (base + count).copyMemory(from: source, byteCount: raw.count)
        count += raw.count
    }

    /// Bytes of any length: a u32 length, then the bytes.
    package mutating func blob(_ d: Data) {
        u32(UInt32(d.count))
        bytes(d)
    }

    /// A blob whose bytes `write` puts here directly (no `Data` made first), its length
    /// filled in after.
    package mutating func blob(_ write: (inout ByteWriter) -> Void) {
        let at = count
        u32(0)
        write(&self)
        patchU32(UInt32(count - at - 4), at: at)
    }
}
