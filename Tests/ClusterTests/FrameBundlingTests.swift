import Bus
import Foundation
import Testing
import Wire
@testable import ClusterRuntime

/// The glue between the bus's packing and the protocol's BUNDLE, as the broker's worker sockets
/// and the peers' links use it.
@Suite("Frame bundling")
struct FrameBundlingTests {
    static let envelope = UpdateEnvelope(updateID: 7, kind: .message, routingKey: .chat(42),
                                         bytes: Data(#"{"update_id":7,"message":{"chat":{"id":42}}}"#.utf8))

    @Test func aRoundsJobsForEachWorker_goAsOneBundle_thatTakesApartIntoTheSameFrames() throws {
        let workers = [Data("worker-1-1".utf8), Data("worker-2-2".utf8)]
        let frames = (0..<10).map { Frame.job(Job(id: UInt64($0), attempt: 1, payload: .update(handler: 0, Self.envelope))) }
        // The broker's round: JOBs to the two workers in turn, then an ACK-like lone message to a third peer.
        var round = frames.enumerated().map { $1.encoded(after: workers[$0 % 2]) }
        round.append(Frame.heartbeat.encoded(after: Data("sequencer-3-3".utf8)))
        let sent = Bundling.frames.packed(round)
        #expect(sent.count == 3)
        #expect(sent.map { $0[0] } == workers + [Data("sequencer-3-3".utf8)])
        #expect(sent[2] == round[10], "a message alone in its round goes as it is")
        for (w, message) in sent.prefix(2).enumerated() {
            let parts = try #require(Bundling.frames.unpack(message[1]))
            #expect(try parts.map { try Frame.decode(message: $0) } == frames.enumerated().filter { $0.offset % 2 == w }.map(\.element))
        }
        // A damaged bundle is not taken apart: it reaches the receiver's decode, which says why.
        let cut = sent[0][1].prefix(sent[0][1].count - 1)
        #expect(Bundling.frames.unpack(cut) == nil)
        #expect(throws: FrameError("frame too short")) { try Frame.decode(message: cut) }
    }
}
