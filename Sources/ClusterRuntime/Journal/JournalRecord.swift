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
        var out = ByteWriter()
        encode(into: &out)
        return out.data
    }

    /// Appends the record to `out`: the body written in place after a header left blank, then
    /// the header filled in (no buffer per record; the broker writes a batch's in one).
    package func encode(into out: inout ByteWriter) {
        let start = out.count
        Self.magic.withUnsafeBytes { out.bytes($0) }
        out.u32(0)
        out.u32(0)
        let body = out.count
        switch self {
        case .accepted(let envelope, let time):
            out.u8(1)
            out.f64(time)
            envelope.encode(into: &out)
        case .completed(let id):
            out.u8(2)
            out.i64(id)
        }
        let length = out.count - body
        let crc = out.withUnsafeBytes { CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[body...])) }
        out.patchU32(UInt32(length), at: start + 4)
        out.patchU32(crc, at: start + 8)
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
