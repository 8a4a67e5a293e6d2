import BotAPI
import Bus
import Foundation

/// One record of the update journal, framed so that a reader can tell a torn or corrupt
/// record from a good one and find the next good one:
///
/// `"TGJ1"` magic (4) | length u32 (type + payload) | CRC-32 u32 (type + payload) | type u8 | payload
///
/// - type 1, accepted: receive time (f64 bits, Unix seconds) | the `UpdateEnvelope` as on the wire
/// - type 2, completed: `update_id` i64
enum JournalRecord: Equatable {
    case accepted(UpdateEnvelope, receivedAt: Double)
    case completed(updateID: Int64)

    static let magic: [UInt8] = Array("TGJ1".utf8)
    static let headerSize = 12
    /// Telegram's updates are at most 512 KiB; anything claiming far more is corrupt.
    static let maxLength = 4 << 20

    func encoded() -> Data {
        var body = Data()
        switch self {
        case .accepted(let envelope, let time):
            body.append(1)
            Self.append(time.bitPattern, to: &body)
            body.append(envelope.encoded)
        case .completed(let id):
            body.append(2)
            Self.append(UInt64(bitPattern: id), to: &body)
        }
        var out = Data(Self.magic)
        Self.append32(UInt32(body.count), to: &out)
        Self.append32(CRC32.checksum(body), to: &out)
        out.append(body)
        return out
    }

    /// Decodes a record's type and payload (its CRC already checked).
    static func decode(_ body: Data) -> JournalRecord? {
        guard let type = body.first else { return nil }
        let payload = body.dropFirst()
        switch type {
        case 1:
            guard payload.count > 8 else { return nil }
            let time = Double(bitPattern: read64(payload))
            guard let envelope = try? UpdateEnvelope(decoding: Data(payload.dropFirst(8))) else { return nil }
            return .accepted(envelope, receivedAt: time)
        case 2:
            guard payload.count == 8 else { return nil }
            return .completed(updateID: Int64(bitPattern: read64(payload)))
        default:
            return nil
        }
    }

    static func append(_ v: UInt64, to d: inout Data) { withUnsafeBytes(of: v.bigEndian) { d.append(contentsOf: $0) } }
    static func append32(_ v: UInt32, to d: inout Data) { withUnsafeBytes(of: v.bigEndian) { d.append(contentsOf: $0) } }

    static func read64<C: Collection<UInt8>>(_ bytes: C) -> UInt64 {
        bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

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

    static func checksum<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}
