/// The update ids the broker has taken, for deduplication: a bitmap over the newest `capacity`
/// ids, a fixed 128 KiB for the default million, whatever the traffic.
///
/// Telegram's ids increase by one per update, so "the ids seen recently" is a range, not a set:
/// a bit per id in `(newest - capacity, newest]` gives the guarantee a set of the last million
/// ids gave (25 MB of hash table when full) in constant memory and time.
///
/// An id below the window is not a duplicate anyone can tell apart: after a week without
/// updates Telegram picks the next id at random (FACTS.md, §2), possibly lower. Such an id is
/// taken as new and the window starts over from it, so the restarted sequence is deduplicated
/// like the old one.
package struct UpdateIDWindow: Sendable {
    /// How many ids the window covers (a power of two, so ids map to bits with a mask).
    package let capacity: Int
    private(set) var words: [UInt64]
    /// The newest id taken; nil before the first.
    package private(set) var newest: Int64?

    package init(capacity: Int = 1 << 20) {
        precondition(capacity >= 64 && capacity & (capacity - 1) == 0, "a power of two, at least 64")
        self.capacity = capacity
        words = Array(repeating: 0, count: capacity / 64)
    }

    /// Whether `id` was taken and is still in the window.
    package func contains(_ id: Int64) -> Bool {
        guard let newest, id <= newest, newest - id < Int64(capacity) else { return false }
        let (word, bit) = slot(id)
        return words[word] & (1 << bit) != 0
    }

    /// Takes `id`; false if it was taken already (a duplicate).
    package mutating func insert(_ id: Int64) -> Bool {
        switch newest {
        case nil:
            newest = id
        case let top? where id > top:
            advance(from: top, to: id)
        case let top? where top - id >= Int64(capacity):
            // Far below the window: Telegram's sequence restarted.
            clear()
            newest = id
        default:
            break
        }
        let (word, bit) = slot(id)
        if words[word] & (1 << bit) != 0 { return false }
        words[word] |= 1 << bit
        return true
    }

    /// Moves the window's top to `id`, clearing the bits of the ids it passes over (they were
    /// the oldest ones of the ring).
    private mutating func advance(from newest: Int64, to id: Int64) {
        self.newest = id
        if id - newest >= Int64(capacity) {
            clear()
            return
        }
        var next = newest + 1
        while next <= id {
            let (word, bit) = slot(next)
            if bit == 0 && id - next >= 63 {
                words[word] = 0
                next += 64
            } else {
                words[word] &= ~(1 << bit)
                next += 1
            }
        }
    }

    private mutating func clear() {
        words.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    private func slot(_ id: Int64) -> (word: Int, bit: UInt64) {
        let position = Int(UInt64(bitPattern: id) % UInt64(capacity))
        return (position >> 6, UInt64(position & 63))
    }
}
