import BotAPI
import Wire
import Foundation
import Logging
import Testing
import Synchronization
@testable import ClusterRuntime
import TGClusterTesting

/// The update journal's files: round trip, a torn tail, a flipped byte, retention, a full disk.
@Suite("Journal")
struct JournalTests {
    static func envelope(_ id: Int64) -> UpdateEnvelope {
        let json = #"{"update_id":\#(id),"message":{"message_id":1,"date":1,"chat":{"id":\#(id % 7),"type":"private"},"text":"m\#(id)"}}"#
        return UpdateEnvelope(updateID: id, kind: .message, routingKey: .chat(id % 7), bytes: Data(json.utf8))
    }

    static func directory() -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-journal-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func open(_ dir: URL, _ configure: (inout Journal.Configuration) -> Void = { _ in }) throws -> (Journal, Journal.Recovered) {
        var c = Journal.Configuration(directory: dir)
        configure(&c)
        let j = Journal(configuration: c, logger: Logger(label: "test"))
        return (j, try j.recover())
    }

    static func segments(_ dir: URL) -> [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix("segment-") }.sorted()
            .map { dir.appendingPathComponent($0) }
    }

    @Test func appendedAndNotCompleted_comeBackInOrder_withEveryIDSeen() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (j, empty) = try Self.open(dir)
        #expect(empty.unfinished.isEmpty)
        try j.append(accepted: (1...10).map(Self.envelope))
        for id in [2, 5, 9] as [Int64] { j.complete(id) }
        j.close()
        let (again, r) = try Self.open(dir)
        defer { again.close() }
        #expect(r.unfinished.map(\.updateID) == [1, 3, 4, 6, 7, 8, 10])
        #expect(r.unfinished.first == Self.envelope(1), "the bytes come back as they went in")
        #expect(Set(r.seen) == Set(1...10))
        #expect(r.skipped == 0 && r.truncatedBytes == 0)
    }

    @Test func tornTail_isTruncatedOnStart_andAppendingGoesOn() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (j, _) = try Self.open(dir)
        try j.append(accepted: (1...10).map(Self.envelope))
        j.close()
        // kill -9 in the middle of the last write: the file ends inside record 10.
        let file = try #require(Self.segments(dir).last)
        let data = try Data(contentsOf: file)
        try data.dropLast(7).write(to: file)
        let (again, r) = try Self.open(dir)
        #expect(r.unfinished.map(\.updateID) == Array(1...9))
        #expect(r.truncatedBytes > 0 && r.skipped == 0)
        #expect(try Data(contentsOf: file).count < data.count - 7, "the torn record is cut off the file")
        try again.append(accepted: [Self.envelope(11)])
        again.close()
        let (third, r3) = try Self.open(dir)
        third.close()
        #expect(r3.unfinished.map(\.updateID) == Array(1...9) + [11])
        #expect(r3.truncatedBytes == 0)
    }

    @Test func flippedByteInTheMiddle_skipsThatRecordOnly_neverCrashes() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (j, _) = try Self.open(dir)
        try j.append(accepted: (1...10).map(Self.envelope))
        j.close()
        let file = try #require(Self.segments(dir).last)
        var bytes = [UInt8](try Data(contentsOf: file))
        let recordSize = bytes.count / 10
        bytes[recordSize * 4 + recordSize / 2] ^= 0x40  // inside record 5's payload
        try Data(bytes).write(to: file)
        let (again, r) = try Self.open(dir)
        again.close()
        #expect(r.unfinished.map(\.updateID) == [1, 2, 3, 4, 6, 7, 8, 9, 10])
        #expect(r.skipped == 1)
        // Any single flipped byte anywhere, and any truncation: recovered or skipped, never a trap.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var b = [UInt8](try Data(contentsOf: file))
            b[Int.random(in: 0..<b.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            let read = JournalReader.read(Data(b.prefix(Int.random(in: 0...b.count, using: &rng))))
            #expect(read.records.count <= 10)
        }
    }

    @Test func completedSegments_areRemovedAfterTheRetention_theActiveOneNever() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (j, _) = try Self.open(dir) { $0.segmentBytes = 800; $0.retention = .zero }
        for id in 1...40 as ClosedRange<Int64> { try j.append(accepted: [Self.envelope(id)]) }
        let before = Self.segments(dir).count
        #expect(before > 3)
        for id in 1...30 as ClosedRange<Int64> { j.complete(id) }
        j.prune()
        let after = Self.segments(dir).count
        #expect(after < before, "segments holding only completed updates go")
        j.close()
        let (again, r) = try Self.open(dir) { $0.retention = .zero }
        again.close()
        #expect(r.unfinished.map(\.updateID) == Array(31...40), "nothing unfinished was removed")
    }

    @Test func fullDisk_makesAppendThrow_andNothingIsRecorded() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let marker = dir.appendingPathComponent("FULL")
        let (j, _) = try Self.open(dir) { $0.faultMarker = marker }
        try j.append(accepted: [Self.envelope(1)])
        FileManager.default.createFile(atPath: marker.path, contents: nil)
        #expect(throws: JournalError.self) { try j.append(accepted: [Self.envelope(2)]) }
        try FileManager.default.removeItem(at: marker)
        try j.append(accepted: [Self.envelope(3)])
        j.close()
        let (again, r) = try Self.open(dir)
        again.close()
        #expect(r.unfinished.map(\.updateID) == [1, 3])
    }

    /// The segment being written has zeroed room ahead of its records, so that its size, and
    /// with it the file system's metadata, stays put while batches are appended (the group
    /// fsyncs cover data alone); a closed segment ends with its last record; a broker killed
    /// with room in its segment recovers every record, and the room is no torn tail. Without the
    /// room (tried: `zeros` returning nil) the file grew with every batch.
    @Test func theSegmentBeingWritten_keepsItsSize_whileAppendsFillItsRoom() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (j, _) = try Self.open(dir)
        let file = try #require(Self.segments(dir).last)
        func fileSize() throws -> Int { try #require(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) }
        try j.append(accepted: [Self.envelope(1)])
        let sizeWithRoom = try fileSize()
        #expect(sizeWithRoom == 1 << 20)
        for id in 2...50 as ClosedRange<Int64> { try j.append(accepted: [Self.envelope(id)]) }
        #expect(try fileSize() == sizeWithRoom, "the appends changed the file's size")
        // kill -9 now: a copy of the file as it is, recovered elsewhere.
        let crashed = Self.directory()
        defer { try? FileManager.default.removeItem(at: crashed) }
        try FileManager.default.copyItem(at: file, to: crashed.appendingPathComponent(file.lastPathComponent))
        let (other, r) = try Self.open(crashed)
        other.close()
        #expect(r.unfinished.map(\.updateID) == Array(1...50))
        #expect(r.truncatedBytes == 0 && r.skipped == 0, "the room taken for damage")
        let records = (1...50).reduce(0) { $0 + JournalRecord.accepted(Self.envelope($1), receivedAt: 0).encoded().count }
        #expect(try Data(contentsOf: crashed.appendingPathComponent(file.lastPathComponent)).count == records, "the recovered segment keeps its room")
        j.close()
        #expect(try fileSize() == records, "a closed segment ends with its last record")
    }

    @Test func theRoomsDecisions_endOnAStep_andOnlyWhenTheRecordsReachTheEnd() {
        var room = JournalRoom(step: 100)
        #expect(room.zeros(toWrite: 10, at: 0) == 0..<100)
        room.grew(to: 100)
        #expect(room.zeros(toWrite: 90, at: 10) == nil, "the room holds it exactly")
        #expect(room.zeros(toWrite: 91, at: 10) == 100..<200)
        #expect(room.zeros(toWrite: 250, at: 50) == 100..<300, "a record longer than a step")
        room.grew(to: 300)
        room.grew(to: 200)
        #expect(room.end == 300, "the room never shrinks but by reset")
        room.reset()
        #expect(room.zeros(toWrite: 1, at: 0) == 0..<100)
    }

    /// Zeros after the last record are the writer's room; a record cut short and then zeros
    /// are a torn tail, all of it.
    @Test func zerosAfterTheLastRecord_areRoom_butATornRecordBeforeThemIsNot() {
        let records = (1...3).reduce(Data()) { $0 + JournalRecord.accepted(Self.envelope($1), receivedAt: 0).encoded() }
        let roomy = JournalReader.read(records + Data(count: 1000))
        #expect(roomy.records.count == 3 && roomy.room == 1000 && roomy.tornBytes == 0 && roomy.validEnd == records.count)
        let fourth = JournalRecord.accepted(Self.envelope(4), receivedAt: 0).encoded()
        let torn = JournalReader.read(records + fourth.prefix(20) + Data(count: 1000))
        #expect(torn.records.count == 3 && torn.room == 0 && torn.tornBytes == 1020)
    }

    /// zlib's CRC-32 check value, over Data, a slice of it and an array slice (the reader's).
    @Test func crc32_matchesTheStandardCheckValue() {
        let bytes = Data("0123456789".utf8)
        #expect(CRC32.checksum(bytes.dropFirst()) == 0xCBF4_3926)
        #expect(CRC32.checksum(Data("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum(Array("x123456789".utf8)[1...]) == 0xCBF4_3926)
    }

    /// A journal closed right after an append (its fsync requested, maybe not run): the sync
    /// thread must not fsync the closed descriptor (it logged "fsync failed" for it).
    @Test func closingRightAfterAnAppend_logsNoFsyncFailure() async throws {
        let capture = LogCapture()
        for _ in 0..<100 {
            let dir = Self.directory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let j = Journal(configuration: .init(directory: dir), logger: Logger(label: "test") { _ in capture.handler() })
            _ = try j.recover()
            try j.append(accepted: [Self.envelope(1)])
            j.close()
        }
        try await Task.sleep(for: .milliseconds(200))
        let failures = capture.all.filter { $0.contains("fsync failed") }
        #expect(failures.isEmpty, "\(failures.count) times: \(failures.prefix(1))")
    }

    /// The library's folded CRC (64 bytes a step, then its tail) must give the bit-at-a-time
    /// answer at every length to 700 (a record's size) and every start within a word, and for
    /// "a" × 1,000,000 zlib's value: segments written before the library read back.
    @Test func crc32_agreesWithTheBitwiseDefinition() {
        func bytewise(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return c ^ 0xFFFF_FFFF
        }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<708).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var wrong: [String] = []
        for start in 0..<8 {
            for length in 0...700 {
                let slice = random[start..<(start + length)]
                if CRC32.checksum(slice) != bytewise(Array(slice)) { wrong.append("start \(start), length \(length)") }
            }
        }
        #expect(wrong.count == 0, "first: \(wrong.prefix(3))")
        #expect(CRC32.checksum(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)) == 0xDC25_BFBC)
    }

    /// The fsync that covers a batch starts when it is appended, not when its ACK is asked for:
    /// a ticket becomes durable with no `whenDurable` call at all, and a waiter for a durable
    /// ticket runs at once, on the caller's thread — completions written since do not delay it.
    @Test func append_startsItsFsync_andADurableTicketRunsAtOnce() async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (j, _) = try Self.open(dir)
        let ticket = try j.append(accepted: (1...10).map(Self.envelope))
        try await waitUntil("the append's own fsync", timeout: .seconds(10)) { j.isDurable(ticket) }
        j.complete(1)
        j.flushCompletions()
        let ranAtOnce = Counter()
        j.whenDurable(after: ticket) { ranAtOnce.add() }
        #expect(ranAtOnce.value == 1)
        // Everything written since (the completion) waits for an fsync of its own.
        let later = Counter()
        j.whenDurable { later.add() }
        try await waitUntil("the completion's fsync", timeout: .seconds(10)) { later.value == 1 }
        j.close()
    }

    /// Completion records wait for a flush (the broker's, once per bus round): a round's
    /// completions are one write, not one each; and what was flushed survives a crash (no close).
    @Test func completions_areWrittenTogetherAtTheFlush_andCountAfterACrash() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (j, _) = try Self.open(dir)
        try j.append(accepted: (1...5).map { Self.envelope($0) })
        let before = j.bytesWritten
        for id in Int64(1)...4 { j.complete(id) }
        #expect(j.bytesWritten == before, "nothing written per completion")
        j.flushCompletions()
        #expect(j.bytesWritten > before)
        // Read back without closing, as after a kill: 1–4 are done, 5 is not.
        let (again, r) = try Self.open(dir)
        again.close()
        j.close()
        #expect(r.unfinished.map(\.updateID) == [5])
    }

    @Test func whenDurable_runsAfterTheFsync_forEveryWaiter() async throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (j, _) = try Self.open(dir)
        let count = Counter()
        for i in 0..<100 {
            try j.append(accepted: [Self.envelope(Int64(i))])
            j.whenDurable { count.add() }
        }
        try await waitUntil("every waiter", timeout: .seconds(10)) { count.value == 100 }
        j.close()
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
