import Bus
import Foundation
import Testing
import Wire
@testable import ClusterRuntime

/// A round's frames written as one message per peer (the broker's JOBs, a worker's DONEs):
/// what the bus would have packed, made without a message per frame first.
@Suite("Peer bundles")
struct PeerBundlesTests {
    static let envelope = FrameBundlingTests.envelope
    static func job(_ id: Int) -> Frame { .job(Job(id: UInt64(id), attempt: 1, payload: .update(handler: 0, envelope))) }
    static let a = PeerID("worker-1-1"), b = PeerID("worker-2-2"), remote = PeerID("remote-host")

    /// The jobs' ids in messages (each a BUNDLE or one frame), in order.
    static func jobIDs(_ messages: [Data]) throws -> [UInt64] {
        try messages.flatMap { message in
            try (Frame.unbundle(message) ?? [message]).map { part -> UInt64 in
                guard case .job(let job) = try Frame.decode(message: part) else { return .max }
                return job.id
            }
        }
    }

    /// Frames for three peers in one round: one message per peer, in the order of each peer's
    /// first frame; several frames as a BUNDLE that takes apart into them in order (the bytes the
    /// bus would have packed), one frame as itself.
    @Test func aRoundsFrames_goAsOneMessagePerPeer_inOrder() throws {
        let bundles = PeerBundles()
        let toA = [Self.job(1), .heartbeat, Self.job(3)], toB = [Self.job(2)]
        bundles.append(toA[0], to: Self.a, routing: Self.a.bytes, socket: 1)
        bundles.append(toB[0], to: Self.b, routing: Self.b.bytes, socket: 1)
        bundles.append(toA[1], to: Self.a, routing: Self.a.bytes, socket: 1)
        bundles.append(.disconnect, to: Self.remote, routing: Data("host".utf8), socket: 3)
        bundles.append(toA[2], to: Self.a, routing: Self.a.bytes, socket: 1)
        #expect(!bundles.isEmpty)
        let sent = bundles.take()
        #expect(bundles.isEmpty, "taken: the next round starts empty")
        #expect(sent.map(\.socket) == [1, 1, 3])
        #expect(sent.map { $0.frames[0] } == [Self.a.bytes, Self.b.bytes, Data("host".utf8)])
        #expect(Frame.isBundle(sent[0].frames[1]))
        #expect(sent[0].frames[1] == Frame.bundle(toA.map { $0.encoded()[0] }), "the bytes the bus would have packed")
        let parts = try #require(try Frame.unbundle(sent[0].frames[1]))
        #expect(try parts.map { try Frame.decode(message: $0) } == toA)
        #expect(sent[1].frames == toB[0].encoded(after: Self.b.bytes), "a peer's one frame goes as itself")
        #expect(!Frame.isBundle(sent[1].frames[1]))
        #expect(try Frame.decode(message: sent[2].frames[1]) == .disconnect)
        #expect(bundles.take().isEmpty)
    }

    /// A worker's frames to its broker (a DEALER's one peer: no routing frame): DONEs and a
    /// FLOOD as one BUNDLE, the bytes the bus would have packed; another DEALER socket's frame
    /// is not put into that socket's bundle.
    @Test func aDealersFrames_goAsOneMessage_withoutRouting() throws {
        let bundles = PeerBundles()
        let toBroker: [Frame] = [.done(jobID: 1, outcome: .ok, output: Data()), .flood(FloodBudget(chatID: 7, until: 3)),
                                 .done(jobID: 2, outcome: .failed, output: Data("no".utf8))]
        bundles.append(toBroker[0], socket: 0)
        bundles.append(.heartbeat, socket: 1)
        bundles.append(toBroker[1], socket: 0)
        bundles.append(toBroker[2], socket: 0)
        let sent = bundles.take()
        #expect(sent.map(\.socket) == [0, 1])
        #expect(sent.map(\.frames.count) == [1, 1], "no routing frame on a DEALER")
        #expect(sent[0].frames[0] == Frame.bundle(toBroker.map { $0.encoded()[0] }), "the bytes the bus would have packed")
        #expect(sent[1].frames == Frame.heartbeat.encoded(), "the other socket's one frame as itself")
    }

    /// As the bus bounds its bundles: past `maxMessages` frames, or `maxBytes`, a peer's next
    /// frames start another bundle, in order.
    @Test func aBundle_isBoundedInFramesAndBytes() throws {
        let frameBytes = Self.job(0).encoded()[0].count
        // By count: 4 frames a bundle, far under the bytes; by bytes: about three frames' bytes,
        // far under the count.
        for (frames, bytes, most) in [(4, 1 << 20, 4), (64, 3 * frameBytes + 100, 3)] {
            let bundles = PeerBundles(limits: Bundling(pack: Frame.bundle, unpack: { _ in nil }, maxMessages: frames, maxBytes: bytes))
            for id in 0..<10 { bundles.append(Self.job(id), to: Self.a, routing: Self.a.bytes, socket: 1) }
            let sent = bundles.take().map { $0.frames[1] }
            let counts = try sent.map { try Frame.unbundle($0)?.count ?? 1 }
            #expect(counts.reduce(0, +) == 10 && counts.count > 2 && counts.allSatisfy { $0 <= most }, "\(counts)")
            #expect(sent.allSatisfy { $0.count - Frame.bundlePrefix <= bytes })
            #expect(try Self.jobIDs(sent) == (0..<10).map(UInt64.init))
        }
    }

    /// The bus sends a bundle its sender made as it is: between the peer's messages before and
    /// after it, never inside another bundle (the receiver refuses a bundle in a bundle).
    @Test func aBundleMadeByItsSender_isNotPackedAgainByTheBus() throws {
        let made = Frame.bundle([Self.job(2).encoded()[0], Self.job(3).encoded()[0]])
        let round = [Self.job(1).encoded(after: Self.a.bytes), [Self.a.bytes, made], Self.job(4).encoded(after: Self.a.bytes),
                     Self.job(5).encoded(after: Self.a.bytes)]
        let sent = Bundling.frames.packed(round)
        #expect(sent.count == 3)
        #expect(sent[0] == round[0] && sent[1] == round[1], "the lone frame before it, then the bundle as it was")
        #expect(try Self.jobIDs(sent.map { $0[1] }) == [1, 2, 3, 4, 5])
    }
}
