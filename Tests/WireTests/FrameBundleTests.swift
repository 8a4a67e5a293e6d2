import Foundation
import Testing
@testable import Wire

@Suite("Frame bundles")
struct FrameBundleTests {
    @Test func aBundle_carriesItsMessagesInOrder_eachItsOwnData() throws {
        let frames = FrameTests.all
        let messages = frames.map { $0.encoded()[0] }
        let bundle = Frame.bundle(messages)
        #expect(bundle.prefix(5) == Frame.header + Data([0x05]))
        let parts = try #require(try Frame.unbundle(bundle))
        #expect(parts == messages)
        #expect(try parts.map { try Frame.decode(message: $0) } == frames)
        // Indexed from zero, not slices of the bundle: a JOB's message outlives the bundle's.
        #expect(parts.allSatisfy { $0.startIndex == 0 })
    }

    @Test func anythingElse_isNotABundle() throws {
        #expect(try Frame.unbundle(Frame.heartbeat.encoded()[0]) == nil)
        #expect(try Frame.unbundle(Data()) == nil)
        #expect(try Frame.unbundle(Data("TGC".utf8)) == nil)
        // A bundle of another version is that version's: its decode says so.
        var older = Frame.bundle([Frame.heartbeat.encoded()[0]])
        older[3] = Frame.version - 1
        #expect(try Frame.unbundle(older) == nil)
        #expect(throws: FrameError("protocol version \(Frame.version - 1) (this is \(Frame.version))")) { try Frame.decode(message: older) }
    }

    @Test func aDamagedBundle_isAnError_andItsDecodeSaysWhy() throws {
        let one = Frame.done(jobID: 7, outcome: .ok, output: Data("x".utf8)).encoded()[0]
        let whole = Frame.bundle([one, one])
        // Cut anywhere but between the two messages (that is a bundle of one).
        for cut in 6..<whole.count where cut != 9 + one.count {
            let damaged = whole.prefix(cut)
            #expect(throws: FrameError("frame too short")) { try Frame.unbundle(damaged) }
            #expect(throws: FrameError("frame too short")) { try Frame.decode(message: damaged) }
        }
        let empty = Frame.bundle([])
        #expect(throws: FrameError("an empty BUNDLE")) { try Frame.unbundle(empty) }
        let nested = Frame.bundle([one, whole])
        #expect(throws: FrameError("a BUNDLE inside a BUNDLE")) { try Frame.unbundle(nested) }
        #expect(throws: FrameError("a BUNDLE inside a BUNDLE")) { try Frame.decode(message: nested) }
        // A well-formed one reaching decode was not taken apart by the bus: still an error.
        #expect(throws: FrameError("a BUNDLE the bus did not take apart")) { try Frame.decode(message: whole) }
    }
}
