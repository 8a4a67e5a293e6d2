import Foundation
import Testing
import Synchronization
@testable import Bus

@Suite("Bundling")
struct BundlingTests {
    /// A format of the tests' own (the cluster's is `Frame.bundle`): "B", then each message
    /// after its one-byte length.
    static let format = Bundling(pack: { messages in
        messages.reduce(Data("B".utf8)) { $0 + [UInt8($1.count)] + $1 }
    }, unpack: { message in
        guard message.first == UInt8(ascii: "B") else { return nil }
        var parts: [Data] = []
        var at = message.startIndex + 1
        while at < message.endIndex {
            let n = Int(message[at])
            parts.append(Data(message[(at + 1)..<(at + 1 + n)]))
            at += 1 + n
        }
        return parts
    }, maxMessages: 4, maxBytes: 64)

    static func routed(_ peer: String, _ text: String) -> [Data] { [Data(peer.utf8), Data(text.utf8)] }

    @Test func eachPeersMessages_arePackedTogether_inTheirOrder() {
        let messages = [Self.routed("a", "1"), Self.routed("b", "1"), Self.routed("a", "2"), Self.routed("c", "1"), Self.routed("b", "2")]
        let packed = Self.format.packed(messages)
        #expect(packed == [
            [Data("a".utf8), Data("B\u{1}1\u{1}2".utf8)],
            [Data("b".utf8), Data("B\u{1}1\u{1}2".utf8)],
            Self.routed("c", "1"),  // alone: as it was
        ])
        // A dealer's messages (no routing part) all go to its one peer.
        #expect(Self.format.packed([[Data("x".utf8)], [Data("y".utf8)]]) == [[Data("B\u{1}x\u{1}y".utf8)]])
        // Nothing to pack: the same messages.
        #expect(Self.format.packed([Self.routed("a", "1"), Self.routed("b", "1")]) == [Self.routed("a", "1"), Self.routed("b", "1")])
        #expect(Self.format.packed([Self.routed("a", "1")]) == [Self.routed("a", "1")])
    }

    @Test func aBundle_isBoundedInMessagesAndBytes() {
        let ten = (0..<10).map { Self.routed("a", "\($0)") }
        #expect(Self.format.packed(ten).map { $0[1].count } == [9, 9, 5], "4, 4 and 2 messages")
        // 40 bytes each: one and a half fit in 64, so each goes alone.
        let large = (0..<3).map { Self.routed("a", String(repeating: "\($0)", count: 40)) }
        #expect(Self.format.packed(large) == large)
        // A message over the bound goes alone; the ones around it are packed.
        let mixed = [Self.routed("a", "1"), Self.routed("a", "2"), Self.routed("a", String(repeating: "x", count: 70)), Self.routed("a", "3")]
        #expect(Self.format.packed(mixed).map { $0[1].count } == [5, 70, 1])
    }

    /// A message its sender packed already (`isPacked`) goes as it is, between the peer's
    /// messages before and after it, in order; never into another bundle.
    @Test func aMessagePackedByItsSender_goesAsItIs_inItsPlace() {
        var format = Self.format
        format.isPacked = { $0.first == UInt8(ascii: "B") }
        let made = [Data("a".utf8), Data("B\u{1}x".utf8)]
        let messages = [Self.routed("a", "1"), made, Self.routed("a", "2"), Self.routed("b", "1"), Self.routed("a", "3")]
        #expect(format.packed(messages) == [Self.routed("a", "1"), made, [Data("a".utf8), Data("B\u{1}2\u{1}3".utf8)], Self.routed("b", "1")])
        // Without the check the made bundle is packed inside the next one.
        #expect(Self.format.packed(messages)[0] == [Data("a".utf8), Data("B\u{1}1\u{3}B\u{1}x\u{1}2\u{1}3".utf8)])
    }

    /// Through real sockets: what the router's handler sends to a peer in one round leaves as
    /// one ZeroMQ message (a peer without bundling receives the bundle itself), and a loop with
    /// bundling delivers the messages apart, in order.
    @Test func aRoundsMessagesForOnePeer_leaveAsOneMessage_andArriveApartInOrder() async throws {
        let endpoint = "inproc://bundling-\(UUID().uuidString.prefix(8))"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint], bundling: Self.format)], inline: true)
        router.attach { m in
            guard !m.isTick, m.frames.count == 2 else { return }
            let peer = m.frames[0]
            switch String(decoding: m.frames[1], as: UTF8.self) {
            case "go":
                for i in 0..<6 { router.send([peer, Data("m\(i)".utf8)], on: 0) }
            default:
                router.send([peer, Data("end".utf8)], on: 0)
            }
        }
        let raw = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "raw", connect: [endpoint])])
        let unpacking = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "unpacking", connect: [endpoint],
                                                                    bundling: Self.format)])
        defer { raw.shutdown(); unpacking.shutdown(); router.shutdown(); context.close() }
        // Six messages of one round, at most four to a bundle: two ZeroMQ messages; then a
        // lone message, as it was sent.
        raw.send([Data("go".utf8)], on: 0)
        unpacking.send([Data("go".utf8)], on: 0)
        var got: [Data] = []
        for _ in 0..<2 { got.append(try await BusLoopTests.next(raw).frames[0]) }
        raw.send([Data("one".utf8)], on: 0)
        got.append(try await BusLoopTests.next(raw).frames[0])
        #expect(got == [Data("B\u{2}m0\u{2}m1\u{2}m2\u{2}m3".utf8), Data("B\u{2}m4\u{2}m5".utf8), Data("end".utf8)])
        var apart: [String] = []
        for _ in 0..<6 { apart.append(String(decoding: try await BusLoopTests.next(unpacking).frames[0], as: UTF8.self)) }
        unpacking.send([Data("one".utf8)], on: 0)
        apart.append(String(decoding: try await BusLoopTests.next(unpacking).frames[0], as: UTF8.self))
        #expect(apart == ["m0", "m1", "m2", "m3", "m4", "m5", "end"])
    }
}
