@testable import ClusterRuntime
import Testing

/// The broker's deduplication window: the same answers as a set of the newest ids, in fixed
/// memory.
@Suite struct UpdateIDWindowTests {
    /// `insert` for each id in turn: true for a new one, false for a duplicate.
    static func take(_ ids: [Int64], _ window: inout UpdateIDWindow) -> [Bool] {
        ids.map { window.insert($0) }
    }

    @Test func aRepeatedIdIsRefused_anIdLeftBehindTheWindowIsForgotten() {
        var window = UpdateIDWindow(capacity: 64)
        let answers = Self.take([100, 100, 101, 99, 99, 163], &window)
        #expect(answers == [true, false, true, true, false, true], "99 is late but within the window, and new")
        #expect(window.contains(100), "163 - 100 < 64: still in the window")
        #expect(Self.take([100, 164], &window) == [false, true])
        #expect(!window.contains(100), "the bit of 100 was the ring's oldest and is cleared for 164")
    }

    @Test func aJumpPastTheWholeWindowClearsIt() {
        var window = UpdateIDWindow(capacity: 128)
        #expect(Self.take(Array(1...100), &window).allSatisfy { $0 })
        #expect(Self.take([10_000], &window) == [true])
        #expect((Int64(9_873)...9_999).allSatisfy { !window.contains($0) })
        #expect(Self.take([9_999], &window) == [true], "never seen, inside the window")
    }

    /// After a week without updates Telegram picks the next id at random, possibly lower: the
    /// window starts over there, and the new sequence is deduplicated like the old.
    @Test func aSequenceThatRestartsLowerIsStillDeduplicated() {
        var window = UpdateIDWindow(capacity: 1024)
        _ = Self.take(Array(5_000_000...5_000_500), &window)
        #expect(Self.take([17, 18, 17, 18], &window) == [true, true, false, false])
        #expect(window.newest == 18)
    }

    /// Increasing ids arriving a little out of order (several webhook connections), each sent
    /// up to three times: the window agrees with an unbounded set on every id, over a run ten
    /// times its size (late ids stay well inside the window).
    @Test func agreesWithASetOfTheNewestIds() {
        let capacity = 4096
        var window = UpdateIDWindow(capacity: capacity)
        var set = Set<Int64>()
        var random = SeededRandom(seed: 42)
        var newest: Int64 = 1_000
        var refused = 0
        var disagreements: [Int64] = []
        for _ in 0..<(capacity * 10) {
            newest += Int64(random.next() % 3)
            let id = newest - Int64(random.next() % 40)
            for _ in 0...(random.next() % 3) {
                let expected = set.insert(id).inserted
                let got = window.insert(id)
                if got != expected { disagreements.append(id) }
                if !got { refused += 1 }
            }
        }
        #expect(disagreements.isEmpty, "first: \(disagreements.prefix(5))")
        #expect(refused > capacity, "duplicates were offered and refused: \(refused)")
    }

    /// The broker's window holds a million ids in 128 KiB; any window keeps its size however
    /// many ids go by (a smaller one here: three million ids take seconds of CPU in a debug
    /// build, on the pool every other test shares).
    @Test func itsMemoryIsFixed() {
        #expect(UpdateIDWindow().capacity == 1 << 20)
        #expect(UpdateIDWindow().words.count == (1 << 20) / 64, "128 KiB of bits")
        var window = UpdateIDWindow(capacity: 1 << 14)
        for id in Int64(1)...300_000 { _ = window.insert(id) }
        #expect(window.words.count == (1 << 14) / 64, "however many ids went by")
        #expect(window.contains(300_000 - (1 << 14) + 1) && !window.contains(300_000 - (1 << 14)))
    }
}
