import BotAPI
import Wire
import Foundation

/// One record of the update journal, framed so that a reader can tell a torn or corrupt
/// record from a good one and find the next good one:
///
/// `"TGJ1"` magic (4) | length u32 (type + payload) | CRC-32 u32 (type + payload) | type u8 | payload
///
/// - type 1, accepted: receive time (f64 bits, Unix seconds) | the `UpdateEnvelope` as on the wire
/// - type 2, completed: `update_id` i64
package enum JournalRecord: Equatable {
    case accepted(UpdateEnvelope, receivedAt: Double)
    case completed(updateID: Int64)

    static let magic: [UInt8] = Array("TGJ1".utf8)
    static let headerSize = 12
    /// Telegram's updates are at most 512 KiB; anything claiming far more is corrupt.
    /// (The broker dead-letters an update too large for it at intake: `maxUpdateBytes`.)
    static let maxLength = 4 << 20

    package func encoded() -> Data {
        var body = ByteWriter()
        switch self {
        case .accepted(let envelope, let time):
            body.u8(1)
            body.f64(time)
            envelope.encode(into: &body)
        case .completed(let id):
            body.u8(2)
            body.i64(id)
        }
        var out = ByteWriter()
        out.bytes(Data(Self.magic))
        out.u32(UInt32(body.data.count))
        out.u32(CRC32.checksum(body.data))
        out.bytes(body.data)
        return out.data
    }

    /// Decodes a record's type and payload (its CRC already checked).
    static func decode(_ body: Data) -> JournalRecord? {
        var r = ByteReader(body)
        do {
            switch try r.u8() {
            case 1:
                let time = try r.f64()
                return .accepted(try UpdateEnvelope(decoding: Data(r.remaining)), receivedAt: time)
            case 2:
                let id = try r.i64()
                try r.expectEnd()
                return .completed(updateID: id)
            default:
                return nil
            }
        } catch {
            return nil
        }
    }

    /// The big-endian u32 at the start of `bytes` (the reader's record header).
    static func read32<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// CRC-32 (IEEE 802.3, as zlib), table-driven.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// Over the bytes in place: a generic walk through `Data`'s iterator cost a call per byte
    /// on the broker's hot path (every accepted update is checksummed).
    static func checksum<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        if let c = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) { return c }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    static func checksum(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { checksum($0) }
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes { c = t[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
            return c ^ 0xFFFF_FFFF
        }
    }
}
