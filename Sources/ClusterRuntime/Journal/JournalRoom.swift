import Foundation

/// Zeroed room ahead of the journal's appends, so that most group fsyncs cover data alone.
///
/// An `fdatasync` after an append that grew the file must also commit the file's new size
/// through the file system's own journal (on ext4 a second write and a wait for its journalling
/// thread). So the journal writes zeros a megabyte ahead of its records: the size changes once
/// per megabyte, and the syncs between cover data alone. It pays where syncs follow each other
/// (under load a 100-update batch's group fsync took 759–788 against 1,141–1,472 µs; back to
/// back in isolation 182 against 207 µs and 2 against 3 sleeps of the syncing thread); spaced
/// out (light load) each write also changes the file's time stamps, which ext4 journals, and
/// both take ~350 µs. Readers take zeros after the last record for this room, not for damage
/// (`JournalReader`), and a segment is cut back to its records when it is closed.
///
/// The decision is pure (offsets in, the range to zero out); `fill` does the writing.
struct JournalRoom {
    /// How far ahead zeros are written at once.
    let step: Int
    /// The file's length: records up to the writer's offset, zeros after it.
    private(set) var end = 0

    init(step: Int = 1 << 20) {
        self.step = step
    }

    /// The range to fill with zeros before `count` bytes are written at `offset` (the record
    /// then overwrites the start of it), or nil when the room holds them. Ends on a step.
    func zeros(toWrite count: Int, at offset: Int) -> Range<Int>? {
        let needed = offset + count
        guard needed > end else { return nil }
        return end..<((needed + step - 1) / step * step)
    }

    /// The zeros up to `newEnd` are written.
    mutating func grew(to newEnd: Int) {
        end = max(end, newEnd)
    }

    /// A new file: no room yet.
    mutating func reset() {
        end = 0
    }

    /// Writes zeros over `range` of `fd`; throws the error's text on failure (a full disk).
    static func fill(_ fd: Int32, _ range: Range<Int>) throws(JournalError) {
        let chunk = 64 << 10
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        var offset = range.lowerBound
        while offset < range.upperBound {
            let n = pwrite(fd, zeros.baseAddress, min(chunk, range.upperBound - offset), off_t(offset))
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalError("write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
