import Foundation
import Testing
@testable import Wire

@Suite("ByteWriter")
struct ByteWriterTests {
    /// Every field reads back in order, big-endian, through a buffer that grows past the
    /// capacity asked for; a patched u32 lands at its offset and nowhere else; `data` is exactly
    /// what was written. (The journal's records carry their length and CRC this way: a patch one
    /// byte off fails the first expectation.)
    @Test func fields_readBackInOrder_andAPatchOverwritesItsFourBytes() throws {
        var w = ByteWriter(capacity: 4)
        w.u8(7)
        w.u16(0x0102)
        w.u32(0)
        w.u64(0x0102_0304_0506_0708)
        w.i64(-2)
        w.f64(1.5)
        w.bool(true)
        w.string("héllo")
        w.shortString("message")
        w.blob(Data([9, 8]))
        w.bytes(Data([1, 2, 3]))
        w.patchU32(0xA0B0_C0D0, at: 3)
        let data = w.data
        #expect(Array(data.prefix(8)) == [7, 1, 2, 0xA0, 0xB0, 0xC0, 0xD0, 1])
        #expect(data.count == w.count)
        var r = ByteReader(data)
        #expect(try r.u8() == 7)
        #expect(try r.u16() == 0x0102)
        #expect(try r.u32() == 0xA0B0_C0D0)
        #expect(try r.u64() == 0x0102_0304_0506_0708)
        #expect(try r.i64() == -2)
        #expect(try r.f64() == 1.5)
        #expect(try r.bool())
        #expect(try r.string() == "héllo")
        #expect(try r.shortString() == "message")
        #expect(try r.blob() == Data([9, 8]))
        #expect(Array(r.remaining) == [1, 2, 3])
        w.removeAll()
        #expect(w.isEmpty && w.data.isEmpty)
    }

    /// A string past its field's limit is cut at a character's start, never inside one (a cut
    /// inside reads back with a replacement character): 254 ASCII bytes and an "é" (two bytes)
    /// keep the 254; at 65,535 the same; a string at the limit is whole.
    @Test func aStringPastItsLimit_isCutAtACharactersStart() throws {
        let short = String(repeating: "a", count: 254) + "é"
        let long = String(repeating: "b", count: 65_534) + "€"
        let exact = String(repeating: "c", count: 253) + "é"
        var w = ByteWriter(capacity: 16)
        w.shortString(short)
        w.string(long)
        w.shortString(exact)
        var r = ByteReader(w.data)
        #expect(try r.shortString() == String(repeating: "a", count: 254))
        #expect(try r.string() == String(repeating: "b", count: 65_534))
        #expect(try r.shortString() == exact)
    }
}
