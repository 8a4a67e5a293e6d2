import Foundation

/// Reads one segment's records, tolerating damage: a record whose checksum or frame is wrong
/// is skipped (and counted), and reading goes on at the next magic that starts a good record.
/// Where the segment ends in a partial or damaged record (a torn write), `validEnd` is the end
/// of the last good one, so the writer can truncate there. Zeros alone after it are the
/// writer's room (`JournalRoom`), not damage.
package struct JournalReader {
    package struct Result {
        package var records: [JournalRecord] = []
        /// Damaged records skipped before the last good one (corruption in the middle).
        package var skipped = 0
        /// Bytes after the last good record that are not all zeros (a torn tail).
        package var tornBytes = 0
        /// Zeros after the last good record, and nothing else: the room a writer made ahead.
        package var room = 0
        package var validEnd = 0
    }

    package static func read(_ data: Data) -> Result {
        let bytes = [UInt8](data)
        var r = Result()
        var i = 0
        var damaged = false
        while i < bytes.count {
            if let (record, length) = Self.record(at: i, in: bytes) {
                if damaged {
                    r.skipped += 1
                    damaged = false
                }
                r.records.append(record)
                i += length
                r.validEnd = i
            } else {
                // Not a good record here: look for the next magic.
                damaged = true
                i += 1
                while i < bytes.count, !(bytes[i] == 0x54 && i + 4 <= bytes.count && Array(bytes[i..<(i + 4)]) == JournalRecord.magic) {
                    i += 1
                }
            }
        }
        if bytes[r.validEnd...].allSatisfy({ $0 == 0 }) {
            r.room = bytes.count - r.validEnd
        } else {
            r.tornBytes = bytes.count - r.validEnd
        }
        return r
    }

    /// The record starting at `i`, and its length, if it is whole and its checksum holds.
    static func record(at i: Int, in bytes: [UInt8]) -> (JournalRecord, Int)? {
        guard bytes.count - i >= JournalRecord.headerSize, Array(bytes[i..<(i + 4)]) == JournalRecord.magic else { return nil }
        let length = Int(JournalRecord.read32(bytes[(i + 4)...]))
        let crc = JournalRecord.read32(bytes[(i + 8)...])
        guard length > 0, length <= JournalRecord.maxLength, bytes.count - i - JournalRecord.headerSize >= length else { return nil }
        let body = bytes[(i + JournalRecord.headerSize)..<(i + JournalRecord.headerSize + length)]
        guard CRC32.checksum(body) == crc, let record = JournalRecord.decode(Data(body)) else { return nil }
        return (record, JournalRecord.headerSize + length)
    }
}
