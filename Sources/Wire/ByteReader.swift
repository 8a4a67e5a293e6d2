import Foundation

/// Reads what `ByteWriter` wrote; every read checks the length, so a short or damaged frame is
/// a `FrameError`, never a crash.
package struct ByteReader {
    package let data: Data
    package var offset: Int
    /// `data`'s bytes, while `reading` holds them: integers load from here. Without them each
    /// integer was a `withUnsafeBytes` of its own (a switch over `Data`'s representations and
    /// a closure, ~60–150 instructions: a DONE's four fields ~400).
    private let bytes: UnsafeRawBufferPointer?
    /// `data`'s bounds, read once: each `Data.startIndex`/`endIndex` is a switch over its
    /// representations, and a read asked for both.
    private let start: Int
    private let end: Int

    package init(_ data: Data) {
        self.init(data, bytes: nil)
    }

    private init(_ data: Data, bytes: UnsafeRawBufferPointer?) {
        self.data = data
        start = data.startIndex
        end = data.endIndex
        offset = start
        self.bytes = bytes
    }

    /// Runs `body` with a reader of `data` whose integers load from its bytes directly (the
    /// reader must not outlive `body`).
    package static func reading<R>(_ data: Data, _ body: (inout ByteReader) throws(FrameError) -> R) throws(FrameError) -> R {
        // Returned straight through `withUnsafeBytes` (which rethrows untyped errors): a
        // `Result` around a frame was ~400 instructions of copies per message.
        do {
            return try data.withUnsafeBytes { raw in
                var reader = ByteReader(data, bytes: raw)
                return try body(&reader)
            }
        } catch let error as FrameError {
            throw error
        } catch {
            preconditionFailure("unreachable: \(error)")
        }
    }

    package var remaining: Data { data[offset...] }
    package var isAtEnd: Bool { offset == end }

    /// The rest of the message (a payload runs to its end), as a `Data` of its own indexed
    /// from zero: handlers' inputs and outputs are `Data` a user may subscript, and a slice
    /// would keep the whole message alive.
    package mutating func payload() -> Data {
        defer { offset = end }
        return isAtEnd ? Data() : Data(remaining)
    }

    /// The rest of the message as a slice of it, no copy: for bytes that stay inside the
    /// runtime in a message that carries nothing else (a JOB's update envelope, read by its
    /// indices or offsets; a handler asking for `RawUpdate.bytes` gets a copy from zero).
    package mutating func rest() -> Data {
        defer { offset = end }
        return remaining
    }

    package mutating func take(_ n: Int) throws(FrameError) -> Data {
        guard n >= 0, end - offset >= n else { throw FrameError("frame too short") }
        defer { offset += n }
        return data[offset..<(offset + n)]
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(FrameError) -> T {
        let size = MemoryLayout<T>.size
        guard end - offset >= size else { throw FrameError("frame too short") }
        // One unaligned load, not a subscript (and its bounds check) per byte.
        let raw = if let bytes {
            bytes.loadUnaligned(fromByteOffset: offset - start, as: T.self)
        } else {
            data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset - start, as: T.self) }
        }
        offset += size
        return T(bigEndian: raw)
    }

    package mutating func u8() throws(FrameError) -> UInt8 { try integer(UInt8.self) }
    package mutating func u16() throws(FrameError) -> UInt16 { try integer(UInt16.self) }
    package mutating func u32() throws(FrameError) -> UInt32 { try integer(UInt32.self) }
    package mutating func u64() throws(FrameError) -> UInt64 { try integer(UInt64.self) }
    package mutating func i64() throws(FrameError) -> Int64 { Int64(bitPattern: try u64()) }
    package mutating func f64() throws(FrameError) -> Double { Double(bitPattern: try u64()) }

    package mutating func bool() throws(FrameError) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw FrameError("a flag that is neither 0 nor 1")
        }
    }

    package mutating func string() throws(FrameError) -> String {
        try utf8(count: Int(try u16()))
    }

    package mutating func shortString() throws(FrameError) -> String {
        try utf8(count: Int(try u8()))
    }

    /// Text must be UTF-8: a frame with other bytes is damaged, and repairing it (replacement
    /// characters) would hand on a string that is not the one sent.
    private mutating func utf8(count: Int) throws(FrameError) -> String {
        guard let s = String(validating: try take(count), as: UTF8.self) else { throw FrameError("a string that is not UTF-8") }
        return s
    }

    /// What `ByteWriter.blob` wrote (a copy, so that it outlives the frame).
    package mutating func blob() throws(FrameError) -> Data {
        Data(try take(Int(try u32())))
    }

    package mutating func optionalI64() throws(FrameError) -> Int64? {
        let present = try bool()
        let v = try i64()
        return present ? v : nil
    }

    package func expectEnd() throws(FrameError) {
        guard offset == end else { throw FrameError("trailing bytes in frame") }
    }
}
