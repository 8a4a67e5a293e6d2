/// Walks over JSON that the validating scan has already accepted: an update inside a
/// `RawUpdate` (ingest's `UpdateScanner` read every byte of it before it went anywhere).
///
/// Reading a message's text or a field of it skips the values before it (the sender and the
/// chat objects, ids, the date); validating them again cost the broker ~5,000 instructions per
/// update for routing alone, two thirds of it in `skipValue` (`scripts/bench instructions`).
/// Here a skipped value costs its brackets and its strings' quotes and escapes, found eight
/// bytes at a time. Every read is still bounds-checked: bytes that are not JSON give a wrong
/// position or `false`, never an out-of-bounds read.
extension JSONScanner {
    /// Skips the value at `index` (after whitespace), leaving `index` just past it (before
    /// any whitespace, comma or closing bracket that follows); false at the input's end.
    package mutating func skipScannedValue() -> Bool {
        skipWhitespace()
        var depth = 0
        while index < end {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                guard skipScannedString() else { return false }
                if depth == 0 { return true }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                // At depth 0: the enclosing container's end, after a number or a literal.
                if depth == 0 { return true }
                depth -= 1
                index += 1
                if depth == 0 { return true }
            case UInt8(ascii: ","), 0x20, 0x0A, 0x0D, 0x09:
                if depth == 0 { return true }
                index += 1
            default:
                index += 1
            }
        }
        return depth == 0 && index == end
    }

    /// Skips the string at `index` (a `"`), escapes included; false if it does not end.
    private mutating func skipScannedString() -> Bool {
        index += 1
        while index < end {
            while index + 8 <= end {
                let stops = Self.stopBytes(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
                if stops == 0 { index += 8; continue }
                index += stops.trailingZeroBitCount >> 3
                break
            }
            guard index < end else { return false }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return true
            case UInt8(ascii: "\\"):
                // The escaped byte too, but not past the end (a string cut after its backslash).
                index = min(index + 2, end)
            default:
                index += 1
            }
        }
        return false
    }
}
