import BotAPI

/// The coding of where an update's text lies (UPDATES, JOB): a u32, 0 unknown, 1 absent,
/// 2 + the offset. A hint, never part of the envelope's own bytes (the journal's layout).
extension ByteWriter {
    package mutating func textPosition(_ position: TextPosition) {
        switch position {
        case .unknown: u32(0)
        case .absent: u32(1)
        case .at(let offset): u32(offset >= 0 && offset < Int(UInt32.max) - 1 ? UInt32(offset + 2) : 0)
        }
    }
}

extension ByteReader {
    package mutating func textPosition() throws(FrameError) -> TextPosition {
        switch try u32() {
        case 0: .unknown
        case 1: .absent
        case let n: .at(Int(n) - 2)
        }
    }
}
