import BotAPI
import Foundation
import Testing
@testable import Bus

@Suite("Frame")
struct FrameTests {
    static let envelope = UpdateEnvelope(updateID: 100_000_007, kind: .message, routingKey: .chat(-1_001_234),
                                         bytes: Data(#"{"update_id":100000007,"message":{"text":"hi"}}"#.utf8))

    static let all: [Frame] = [
        .ready(capacity: 64, role: .worker), .ready(capacity: 1, role: .sequencer), .heartbeat, .disconnect,
        .updates(batch: 9, [envelope, UpdateEnvelope(updateID: 1, kind: .poll, routingKey: nil, bytes: Data("{}".utf8))]),
        .updates(batch: 10, []), .ack(batch: 9), .busy(batch: 9, retryAfterMilliseconds: 250),
        .job(Job(id: 77, attempt: 2, payload: .update(handler: 3, envelope))),
        .job(Job(id: 78, attempt: 1, payload: .task(name: "child", input: Data([1, 2, 3])))),
        .done(jobID: 77, outcome: .ok, output: Data()), .done(jobID: 78, outcome: .failed, output: Data("boom".utf8)),
        .lend, .reclaim, .submit(taskID: 5, name: "grandchild", input: Data("{}".utf8)),
        .result(taskID: 5, outcome: .deadLettered, output: Data("gave up".utf8)),
        .job(Job(id: 79, attempt: 1, payload: .outbox(id: 12, name: "notify", input: Data("{}".utf8)))),
        .emit(Emission(outboxID: 12, key: .chat(-5), name: "notify", input: Data("{}".utf8))),
        .emit(Emission(outboxID: 13, key: nil, name: "log", input: Data())),
        .emitted(outboxID: 12, outcome: .ok, output: Data("x".utf8)),
    ]

    @Test func everyCommand_roundTrips() throws {
        for frame in Self.all {
            let parts = frame.encoded()
            #expect(parts[0] == Data("TGC".utf8) + Data([Frame.version]))
            #expect(try Frame.decode(parts) == frame)
        }
    }

    @Test func badFrames_areErrorsNotCrashes() {
        let good = Frame.job(Job(id: 1, attempt: 1, payload: .update(handler: 0, Self.envelope))).encoded()
        #expect(throws: FrameError.self) { try Frame.decode([Data]()) }
        #expect(throws: FrameError.self) { try Frame.decode([Data("XYZ\u{1}".utf8), Data([2]), Data()]) }
        #expect(throws: FrameError.self) { try Frame.decode([Data("TGC".utf8) + Data([9]), Data([2]), Data()]) }
        #expect(throws: FrameError.self) { try Frame.decode([good[0], Data([0xEE]), Data()]) }
        #expect(throws: FrameError.self) { try Frame.decode([good[0], good[1], good[2].prefix(5)] + good.dropFirst(3)) }
        #expect(throws: FrameError.self) { try Frame.decode(Array(good.prefix(3))) }
        // Every truncation and random corruption of every command: thrown or decoded, never a trap.
        var rng = SystemRandomNumberGenerator()
        for frame in Self.all {
            let parts = frame.encoded()
            for i in parts.indices {
                for cut in 0..<parts[i].count {
                    var broken = parts
                    broken[i] = parts[i].prefix(cut)
                    _ = try? Frame.decode(broken)
                }
                for _ in 0..<50 where !parts[i].isEmpty {
                    var broken = parts
                    var bytes = [UInt8](parts[i])
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    broken[i] = Data(bytes)
                    _ = try? Frame.decode(broken)
                }
            }
        }
    }
}
