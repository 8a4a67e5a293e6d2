import BotAPI
import Foundation
import Sim
import Testing
import TGClusterTesting

/// getUpdates as Telegram serves it.
@Suite("Sim: getUpdates")
struct UpdatesTests {
    static func ids(_ r: SimHarness.Response) -> [Int64] {
        (r.json["result"] as? [[String: Any]] ?? []).compactMap { ($0["update_id"] as? NSNumber)?.int64Value }
    }

    @Test func offsetConfirms_limitCaps_orderIsKept() async throws {
        let sim = try await SimHarness.start()
        let ids = try await sim.generate(10, chats: 3)
        #expect(ids == Array(ids.first!...(ids.first! + 9)))
        let first = try await sim.call("getUpdates", ["limit": 4])
        #expect(Self.ids(first) == Array(ids[0..<4]))
        // Without an offset, the same updates come again (not yet confirmed).
        #expect(Self.ids(try await sim.call("getUpdates", ["limit": 4])) == Array(ids[0..<4]))
        let next = try await sim.call("getUpdates", ["offset": ids[3] + 1, "limit": 100])
        #expect(Self.ids(next) == Array(ids[4...]))
        // Limits outside 1...100 are clamped.
        #expect(Self.ids(try await sim.call("getUpdates", ["offset": ids[3] + 1, "limit": 0])) == [ids[4]])
        // Raw bytes scan as updates, update_id first as Telegram writes them.
        let scanned = try UpdateScanner.scanResponse(next.body)
        #expect(scanned.map(\.updateID) == Array(ids[4...]))
        #expect(String(decoding: next.body, as: UTF8.self).contains(#"[{"update_id":"#))
        try await sim.shutdown()
    }

    @Test func negativeOffset_keepsOnlyTheLastUpdates() async throws {
        let sim = try await SimHarness.start()
        let ids = try await sim.generate(6, chats: 1)
        #expect(Self.ids(try await sim.call("getUpdates", ["offset": -2])) == Array(ids[4...]))
        // The earlier ones are forgotten.
        #expect(Self.ids(try await sim.call("getUpdates", [:])) == Array(ids[4...]))
        try await sim.shutdown()
    }

    @Test func longPoll_waitsForAnUpdateAndAnswersAtOnce() async throws {
        let sim = try await SimHarness.start()
        let client = sim.client()
        let clock = ContinuousClock()
        let start = clock.now
        // A long timeout, so that "at once" stands apart from "at the timeout" by far more than
        // a loaded machine's delays.
        async let polled = client.getUpdates(timeout: 40)
        try await Task.sleep(for: .milliseconds(300))
        let id = try await sim.inject(text: "wake up", chatID: 61)
        let updates = try await polled
        let elapsed = clock.now - start
        #expect(updates.map { Int64($0.updateID) } == [id])
        #expect(updates.first?.message?.text == "wake up")
        #expect(elapsed >= .milliseconds(300) && elapsed < TestBounds.notStuck(.seconds(20)), "\(elapsed)")
        client.shutdown()
        try await sim.shutdown()
    }

    @Test func longPoll_answersEmptyAfterItsTimeout() async throws {
        let sim = try await SimHarness.start()
        let clock = ContinuousClock()
        let start = clock.now
        let r = try await sim.call("getUpdates", ["timeout": 1])
        let elapsed = clock.now - start
        #expect(r.text == #"{"ok":true,"result":[]}"#)
        // The upper bound says "answered", not "on time" (the suites share two cores with whole
        // clusters; a CI run stalled the test process for 12 s at start).
        #expect(elapsed >= .milliseconds(950) && elapsed < TestBounds.notStuck(.seconds(25)), "\(elapsed)")
        try await sim.shutdown()
    }

    /// The second poll starts once the emulator holds the first (a fixed 200 ms head start lost
    /// the race in a loaded CI run: the second arrived first and ended the first's turn), and the
    /// first's timeout is long enough that only the second can end it.
    @Test func secondLongPoll_endsTheFirstWith409() async throws {
        let sim = try await SimHarness.start()
        async let first = sim.call("getUpdates", ["timeout": 30])
        try await waitUntil("the first long poll to arrive", timeout: .seconds(20)) {
            ((try await sim.stats())["by_method"] as? [String: Int])?["getUpdates"] == 1
        }
        async let second = sim.call("getUpdates", ["timeout": 1])
        let r = try await first
        #expect(r.status == 409)
        #expect(r.json["description"] as? String == "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
        #expect(try await second.status == 200)
        try await sim.shutdown()
    }

    @Test func webhookSet_getUpdatesIs409() async throws {
        let sim = try await SimHarness.start()
        let set = try await sim.call("setWebhook", ["url": "http://127.0.0.1:9/hook"])
        #expect(set.json["description"] as? String == "Webhook was set")
        let r = try await sim.call("getUpdates", [:])
        #expect(r.status == 409)
        #expect(r.json["description"] as? String == "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        let deleted = try await sim.call("deleteWebhook", [:])
        #expect(deleted.json["description"] as? String == "Webhook was deleted")
        #expect(try await sim.call("getUpdates", [:]).status == 200)
        try await sim.shutdown()
    }

    @Test func allowedUpdates_filtersKindsAtCreation() async throws {
        let sim = try await SimHarness.start()
        var factory = UpdateFactory(seed: 2)
        // Default: chat_member and reactions are not delivered.
        let reaction: [String: Any] = ["message_reaction": ["chat": ["id": 1, "type": "private"], "message_id": 1, "date": 1,
                                                             "old_reaction": [], "new_reaction": []]]
        try await sim.inject([reaction, factory.textMessageUpdate(chatID: 71)])
        var kinds = try UpdateScanner.scanResponse(try await sim.call("getUpdates", [:]).body).map(\.kind)
        #expect(kinds == [.message])
        // Only callback queries from now on (names are case-insensitive, unknown ones ignored).
        let confirmAll = try await sim.call("getUpdates", ["offset": -1, "allowed_updates": ["CALLBACK_QUERY", "no_such_kind"]])
        _ = confirmAll
        _ = try await sim.call("getUpdates", ["offset": 999_999_999_999])
        try await sim.inject([factory.textMessageUpdate(chatID: 71), factory.callbackQueryUpdate(chatID: 71, data: "d"), reaction])
        kinds = try UpdateScanner.scanResponse(try await sim.call("getUpdates", [:]).body).map(\.kind)
        #expect(kinds == [.callbackQuery])
        // The filter as a JSON-serialized string, in a form body, works the same.
        let form = try await sim.request("/bot\(sim.token)/getUpdates", body: Data("allowed_updates=%5B%22message%22%5D".utf8),
                                         contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 200)
        try await sim.inject([factory.textMessageUpdate(chatID: 71), factory.callbackQueryUpdate(chatID: 71, data: "d")])
        let stats = try await sim.stats()
        #expect(stats["updates_filtered"] as? Int == 4)
        try await sim.shutdown()
    }

    @Test func injectedUpdates_keepTheirIDsAndUnknownKindsPassThrough() async throws {
        let sim = try await SimHarness.start()
        let ids = try await sim.inject([["update_id": 500_000_000, "future_kind": ["x": 1]]])
        #expect(ids == [500_000_000])
        let next = try await sim.inject(text: "after", chatID: 3)
        #expect(next == 500_000_001)
        let bad = try await sim.request("/sim/updates", body: Data(#"{"updates":[42]}"#.utf8))
        #expect(bad.status == 400)
        let garbage = try await sim.request("/sim/updates", body: Data("not json".utf8))
        #expect(garbage.status == 400)
        try await sim.shutdown()
    }
}
