import BotAPI
import Foundation

/// Big-endian fixed-width fields for the wire frames.
struct ByteWriter {
    var data = Data()

    mutating func u8(_ v: UInt8) { data.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.bigEndian) { data.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { data.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.bigEndian) { data.append(contentsOf: $0) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    /// A string of at most 255 UTF-8 bytes, length-prefixed.
    mutating func shortString(_ s: String) {
        let bytes = Array(s.utf8.prefix(255))
        u8(UInt8(bytes.count))
        data.append(contentsOf: bytes)
    }
    mutating func bytes(_ d: Data) { data.append(d) }
    /// Kind u8 (0 none, 1 chat, 2 user) and the id as i64.
    mutating func routingKey(_ key: RoutingKey?) {
        switch key {
        case .chat(let id)?: u8(1); i64(id)
        case .user(let id)?: u8(2); i64(id)
        case nil: u8(0); i64(0)
        }
    }
}

struct ByteReader {
    let data: Data
    var offset: Int

    init(_ data: Data) {
        self.data = data
        self.offset = data.startIndex
    }

    var remaining: Data { data[offset...] }

    private mutating func take(_ n: Int) throws(FrameError) -> Data {
        guard data.endIndex - offset >= n else { throw FrameError("frame too short") }
        defer { offset += n }
        return data[offset..<(offset + n)]
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(FrameError) -> T {
        let bytes = try take(MemoryLayout<T>.size)
        var v: T = 0
        for b in bytes { v = v << 8 | T(b) }
        return v
    }

    mutating func u8() throws(FrameError) -> UInt8 { try integer(UInt8.self) }
    mutating func u16() throws(FrameError) -> UInt16 { try integer(UInt16.self) }
    mutating func u32() throws(FrameError) -> UInt32 { try integer(UInt32.self) }
    mutating func u64() throws(FrameError) -> UInt64 { try integer(UInt64.self) }
    mutating func i64() throws(FrameError) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func shortString() throws(FrameError) -> String {
        let n = Int(try u8())
        return String(decoding: try take(n), as: UTF8.self)
    }

    mutating func routingKey() throws(FrameError) -> RoutingKey? {
        let kind = try u8()
        let id = try i64()
        switch kind {
        case 0: return nil
        case 1: return .chat(id)
        case 2: return .user(id)
        default: throw FrameError("unknown routing key kind \(kind)")
        }
    }

    func expectEnd() throws(FrameError) {
        guard offset == data.endIndex else { throw FrameError("trailing bytes in frame") }
    }
}

/// A frame that does not parse: logged and dropped by the receiver, never fatal.
public struct FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "bad frame: \(reason)" }
}
