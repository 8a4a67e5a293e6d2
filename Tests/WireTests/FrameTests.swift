import BotAPI
import Foundation
import Testing
@testable import Wire

@Suite("Frame")
struct FrameTests {
    static let envelope = UpdateEnvelope(updateID: 100_000_007, kind: .message, routingKey: .chat(-1_001_234),
                                         bytes: Data(#"{"update_id":100000007,"message":{"text":"hi"}}"#.utf8))

    static let firing = TimerFiring(scheduleID: 3, name: "timer-42", callback: "beep", payload: Data("30".utf8), chatID: 42,
                                    userID: nil, scheduledFor: 1_790_000_000.25)

    static let all: [Frame] = [
        .ready(Ready(capacity: 64, role: .worker)), .ready(Ready(capacity: 1, role: .sequencer)), .heartbeat, .disconnect,
        .updates(batch: 9, [envelope, UpdateEnvelope(updateID: 1, kind: .poll, routingKey: nil, bytes: Data("{}".utf8))]),
        .updates(batch: 10, []), .updates(batch: 11, [], holdJobs: true), .polling(batch: 11), .ack(batch: 9), .busy(batch: 9, retryAfterMilliseconds: 250),
        .job(Job(id: 77, attempt: 2, payload: .update(handler: 3, envelope))),
        .job(Job(id: 86, attempt: 1, payload: .apply(handler: 4, envelope, result: Data(#"{"price":12.5}"#.utf8)))),
        .job(Job(id: 87, attempt: 3, payload: .apply(handler: 65_535, envelope, result: Data()))),
        .job(Job(id: 78, attempt: 1, payload: .task(name: "child", input: Data([1, 2, 3])))),
        .done(jobID: 77, outcome: .ok, output: Data()), .done(jobID: 78, outcome: .failed, output: Data("boom".utf8)),
        .lend, .reclaim, .submit(taskID: 5, name: "grandchild", input: Data("{}".utf8)),
        .result(taskID: 5, outcome: .deadLettered, output: Data("gave up".utf8)),
        .job(Job(id: 79, attempt: 1, payload: .outbox(id: 12, .job(name: "notify", input: Data("{}".utf8))))),
        .job(Job(id: 80, attempt: 1, payload: .outbox(id: 13, .call(method: "sendMessage", parameters: Data(#"{"chat_id":1,"text":"a\nb"}"#.utf8), updateID: 100_000_007)))),
        .job(Job(id: 81, attempt: 3, payload: .outbox(id: 14, .fire(firing)))),
        .job(Job(id: 82, attempt: 1, payload: .deadLetter(DeadLetterNotice(updateID: 7, reason: "its worker died 3 times", update: Data("{}".utf8))))),
        .job(Job(id: 83, attempt: 1, payload: .deadLetter(DeadLetterNotice(updateID: nil, reason: "", update: Data())))),
        .job(Job(id: 84, attempt: 1, payload: .schedule(Data(#"{"operation":"cancel","id":3}"#.utf8)))),
        .emit(Emission(outboxID: 12, key: .chat(-5), action: .job(name: "notify", input: Data("{}".utf8)))),
        .emit(Emission(outboxID: 13, key: nil, action: .call(method: "sendMessage", parameters: Data(), updateID: nil))),
        .emit(Emission(outboxID: 14, key: .user(9), action: .fire(firing))),
        .job(Job(id: 85, attempt: 2, payload: .outbox(id: 15, .handler(index: 513, update: Data(#"{"update_id":1}"#.utf8))))),
        .emit(Emission(outboxID: 15, key: .chat(3), action: .handler(index: 513, update: Data(#"{"update_id":1}"#.utf8)))),
        .emitted(outboxID: 12, outcome: .ok, output: Data("x".utf8)),
        .ready(Ready(capacity: 64, role: .worker, fingerprint: 0xdead_beef_0123_4567, program: "echobot", pid: 4242, host: "h1")),
        .refuse(reason: "handler tables differ"),
        .schedule(taskID: 6, change: Data("{}".utf8)),
        .metrics(Data(#"{"retries":1}"#.utf8)),
        .flood(FloodBudget(chatID: -1001234567890, until: 1_790_000_000_123_456_789)),
        .handover(Handover(running: [.init(jobID: 1_790_000_000_000_001, updateID: 7)], finished: [5, 6])),
        .handover(Handover(running: [], finished: [])),
    ]

    @Test func everyCommand_roundTrips() throws {
        for frame in Self.all {
            let parts = frame.encoded()
            #expect(parts.count == 1, "one ZeroMQ frame per message")
            #expect(parts[0].prefix(4) == Data("TGC".utf8) + Data([Frame.version]))
            #expect(Frame.bundle(parts).prefix(4) == parts[0].prefix(4), "a BUNDLE's header is every frame's")
            #expect(try Frame.decode(parts) == frame)
            // Behind a ROUTER's identity, the same message.
            let routed = frame.encoded(after: Data("peer".utf8))
            #expect(routed.count == 2 && routed[0] == Data("peer".utf8) && routed[1] == parts[0])
        }
    }

    /// Where an update's text lies travels beside its envelope from ingest (UPDATES) to the
    /// worker (JOB), not inside it (the journal's layout), and is no part of equality.
    /// The JSON's length without a copy, for an envelope built over a slice (not indexed from
    /// zero) and for one read from the wire (its JSON after the wire's fields).
    @Test func byteCount_isTheJSONsLength_builtOrReadFromTheWire() throws {
        let json = Data(#"{"update_id":5,"message":{"chat":{"id":1},"text":"hi"}}"#.utf8)
        let sliced = (Data("wire".utf8) + json)[4...]
        let built = UpdateEnvelope(updateID: 5, kind: .message, routingKey: .chat(1), bytes: sliced)
        #expect(built.byteCount == json.count)
        let sent = [built, Self.envelope]
        guard case .updates(_, let read, _) = try Frame.decode(Frame.updates(batch: 1, sent).encoded()) else {
            Issue.record("not an UPDATES")
            return
        }
        #expect(read.count == 2)
        for (got, original) in zip(read, sent) {
            #expect(got.byteCount == original.bytes.count)
            #expect(got.bytes == original.bytes)
        }
    }

    /// An envelope's fields are read in one look at its bytes: each damage is still its error.
    @Test func anEnvelopesDamagedFields_areErrors() {
        var w = ByteWriter()
        Self.envelope.encode(into: &w)
        let good = w.data
        #expect((try? UpdateEnvelope(decoding: good)) == Self.envelope)
        #expect((try? UpdateEnvelope(decoding: (Data("wire".utf8) + good)[4...])) == Self.envelope)  // a slice, not from zero
        #expect(throws: FrameError("frame too short")) { try UpdateEnvelope(decoding: good.prefix(17)) }
        #expect(throws: FrameError("frame too short")) { try UpdateEnvelope(decoding: good.prefix(18 + 3)) }  // the kind cut
        var key = good
        key[8] = 9
        #expect(throws: FrameError("unknown routing key kind 9")) { try UpdateEnvelope(decoding: key) }
        var text = good
        text[18] = 0xC3
        text[19] = 0x28
        #expect(throws: FrameError("a string that is not UTF-8")) { try UpdateEnvelope(decoding: text) }
    }

    @Test func theTextPosition_travelsWithUpdatesAndJobs() throws {
        var located = Self.envelope
        located.textPosition = .at(41)
        var none = UpdateEnvelope(updateID: 2, kind: .callbackQuery, routingKey: .user(1), bytes: Data("{}".utf8))
        none.textPosition = .absent
        guard case .updates(_, let updates, _) = try Frame.decode(Frame.updates(batch: 1, [located, none, Self.envelope]).encoded()) else {
            Issue.record("not updates")
            return
        }
        #expect(updates.map(\.textPosition) == [.at(41), .absent, .unknown])
        // Passed on as the broker does: the decoded envelope into a JOB.
        guard case .job(let job) = try Frame.decode(Frame.job(Job(id: 1, attempt: 1, payload: .update(handler: 0, updates[0]))).encoded()),
              case .update(_, let envelope) = job.payload else {
            Issue.record("not an update job")
            return
        }
        #expect(envelope.textPosition == .at(41))
        #expect(envelope.raw.text == "hi")
        #expect(envelope.raw.textPosition == .at(41))
        // The envelope's own bytes (what the journal keeps) do not change with it.
        #expect(located.encoded == Self.envelope.encoded)
    }

    /// A decoded envelope's update is read where it lies in the message (no copy), and handed to
    /// a handler as bytes of its own, indexed from zero.
    @Test func aDecodedUpdate_isReadInPlace_andItsBytesStartAtZero() throws {
        let message = Frame.job(Job(id: 9, attempt: 1, payload: .update(handler: 0, Self.envelope))).encoded()
        guard case .job(let job) = try Frame.decode(message), case .update(_, let envelope) = job.payload else {
            Issue.record("not an update job")
            return
        }
        let raw = envelope.raw
        #expect(raw.bytes.startIndex == 0)
        #expect(raw.bytes == Self.envelope.bytes)
        #expect(raw.bytes[0] == UInt8(ascii: "{"))
        #expect(raw.int64(at: "update_id") == 100_000_007)
        #expect(raw.string(at: "message", "text") == "hi")
        #expect(raw.text(hasPrefix: "h") == true)
        #expect(raw.json(at: "message") == Data(#"{"text":"hi"}"#.utf8))
        #expect(try raw.decode(String.self, at: "message", "text") == "hi")
    }

    /// Ingest's envelopes lie in the getUpdates answer they were scanned from (a slice, no copy):
    /// each is the update's own JSON, indexed from zero where a caller asks for its bytes, and
    /// writes the same UPDATES frame as an envelope over a copy. A response that is itself a
    /// slice (not indexed from zero) gives the same updates.
    @Test func ingestsEnvelopes_lieInTheResponse_andSayWhatACopyWould() throws {
        let json = #"{"ok":true,"result":[{"update_id":5,"message":{"chat":{"id":42},"text":"hi"}},"#
            + #"{"update_id":6,"callback_query":{"from":{"id":7},"message":{"chat":{"id":-9}}}}]}"#
        let whole = Data(json.utf8)
        let sliced = (Data("xyz".utf8) + whole + Data("!".utf8)).dropFirst(3).dropLast()
        #expect(sliced.startIndex == 3)
        for response in [whole, sliced] {
            let scanned = try UpdateScanner.scanResponse(response)
            let envelopes = scanned.map { UpdateEnvelope($0, in: response) }
            let copies = scanned.map { s in
                UpdateEnvelope(updateID: s.updateID, kind: s.kind, routingKey: s.routingKey,
                               bytes: Data(whole[s.range]), textPosition: s.textPosition)
            }
            #expect(envelopes.map { String(decoding: $0.bytes, as: UTF8.self) } == [
                #"{"update_id":5,"message":{"chat":{"id":42},"text":"hi"}}"#,
                #"{"update_id":6,"callback_query":{"from":{"id":7},"message":{"chat":{"id":-9}}}}"#,
            ])
            #expect(envelopes.allSatisfy { $0.bytes.startIndex == 0 && $0.bytes.first == UInt8(ascii: "{") })
            #expect(envelopes.map(\.byteCount) == copies.map(\.byteCount))
            #expect(envelopes == copies)
            #expect(envelopes.map(\.routingKey) == [.chat(42), .chat(-9)])
            #expect(envelopes[0].raw.text(hasPrefix: "h") == true)
            #expect(Frame.updates(batch: 1, envelopes).encoded() == Frame.updates(batch: 1, copies).encoded())
        }
    }

    /// Control traffic is typed: no command or job kind carries a reserved job name.
    @Test func controlWork_isTyped_notAReservedJobName() {
        for frame in Self.all {
            let bytes = frame.encoded().reduce(Data(), +)
            #expect(bytes.range(of: Data("tgcluster.".utf8)) == nil, "\(frame)")
        }
    }

    /// The chat whose flood budget travels with a job: an update's chat, nothing else.
    @Test func aJobsFloodChat_isItsUpdatesChat() {
        #expect(Job(id: 1, attempt: 1, payload: .update(handler: 0, Self.envelope)).updateChatID == -1_001_234)
        let byUser = UpdateEnvelope(updateID: 1, kind: .inlineQuery, routingKey: .user(5), bytes: Data("{}".utf8))
        #expect(Job(id: 2, attempt: 1, payload: .update(handler: 0, byUser)).updateChatID == nil)
        #expect(Job(id: 3, attempt: 1, payload: .task(name: "x", input: Data())).updateChatID == nil)
    }

    @Test func anOlderPeer_isRefusedByItsHeader() {
        var parts = Frame.heartbeat.encoded()
        parts[0][3] = Frame.version - 1
        #expect(throws: FrameError("protocol version \(Frame.version - 1) (this is \(Frame.version))")) { try Frame.decode(parts) }
        // Version 7's layout (header, command and arguments as frames of their own) is refused too.
        #expect(throws: FrameError.self) { try Frame.decode([Data("TGC".utf8) + Data([7]), Data([0x02]), Data()]) }
    }

    @Test func badFrames_areErrorsNotCrashes() {
        let good = Frame.job(Job(id: 1, attempt: 1, payload: .update(handler: 0, Self.envelope))).encoded()[0]
        let header = Data("TGC".utf8) + Data([Frame.version])
        #expect(throws: FrameError.self) { try Frame.decode([Data]()) }
        #expect(throws: FrameError.self) { try Frame.decode([good, good]) }
        #expect(throws: FrameError.self) { try Frame.decode([Data("XYZ\u{1}\u{2}".utf8)]) }
        #expect(throws: FrameError.self) { try Frame.decode([Data("TGC".utf8) + Data([Frame.version &+ 1, 2])]) }
        #expect(throws: FrameError.self) { try Frame.decode([header + Data([0xEE])]) }
        #expect(throws: FrameError.self) { try Frame.decode([good.prefix(12)]) }
        // Bytes after a message without a payload; an envelope longer than the batch.
        #expect(throws: FrameError("trailing bytes in frame")) { try Frame.decode([header + Data([0x11, 0, 0, 0, 0, 0, 0, 0, 9, 0xFF])]) }
        var updates = Frame.updates(batch: 1, [Self.envelope]).encoded()[0]
        updates[18] = 0xFF  // the first envelope's length (after the flags and its text position)
        #expect(throws: FrameError("frame too short")) { try Frame.decode([updates]) }
        // A flag this version does not know is refused, not ignored.
        var flagged = Frame.updates(batch: 1, [], holdJobs: true).encoded()[0]
        flagged[13] |= 0x80
        #expect(throws: FrameError("unknown UPDATES flags 129")) { try Frame.decode([flagged]) }
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

    /// Found by the frame fuzz target: a kind of more than 255 bytes was cut inside a character,
    /// and bytes that are not UTF-8 were repaired on decoding, so a frame changed on its way.
    @Test func strings_surviveTheWireUnchanged_orAreRefused() throws {
        let long = String(repeating: "é", count: 200)  // 400 bytes: the cut falls between two characters
        let envelope = UpdateEnvelope(updateID: 1, kind: UpdateKind(rawValue: long), routingKey: nil, bytes: Data("{}".utf8))
        let frame = Frame.updates(batch: 1, [envelope])
        let decoded = try Frame.decode(frame.encoded())
        guard case .updates(_, let updates, _) = decoded else { Issue.record("not updates"); return }
        #expect(updates[0].kind.rawValue == String(repeating: "é", count: 127))
        #expect(try Frame.decode(decoded.encoded()) == decoded)
        let parts = [Frame.header + Data([0x04, 0, 2, 0xC3, 0x28])]  // REFUSE: a two-byte sequence with a bad second byte
        #expect(throws: FrameError("a string that is not UTF-8")) { try Frame.decode(parts) }
    }
}
