import BotAPI
import Foundation
import Locking
import Synchronization
import Testing
import TGClusterTesting

/// Webhook delivery as Telegram does it, into a real HTTP server on loopback.
@Suite("Sim: webhooks")
struct WebhookTests {
    // Waits are "stuck" bounds (`waitUntil`, 60 s): alone these tests take a tenth of a second,
    // in the whole suite on two cores up to ten.

    @Test func updatesArePostedWithTheSecret_eachOnce() async throws {
        let receiver = try await StubBotServer { _, _ in StubBotServer.Response(status: 200) }
        let sim = try await SimHarness.start()
        let set = try await sim.call("setWebhook", ["url": receiver.baseURL + "/tg/hook", "secret_token": "s3cr3t_-X", "max_connections": 10])
        #expect(set.json["description"] as? String == "Webhook was set")
        let again = try await sim.call("setWebhook", ["url": receiver.baseURL + "/tg/hook", "secret_token": "s3cr3t_-X", "max_connections": 10])
        #expect(again.json["description"] as? String == "Webhook is already set")
        let ids = try await sim.generate(40, chats: 5)
        try await waitUntil("40 deliveries", timeout: .seconds(60)) { receiver.requests.count >= 40 }
        let requests = receiver.requests
        #expect(requests.count == 40)
        #expect(requests.allSatisfy { $0.method == "POST" && $0.uri == "/tg/hook" })
        #expect(requests.allSatisfy { $0.headers["X-Telegram-Bot-Api-Secret-Token"].first == "s3cr3t_-X" })
        #expect(requests.allSatisfy { $0.headers["Content-Type"].first == "application/json" })
        let delivered = try requests.map { try UpdateScanner.scanUpdate($0.body) }
        #expect(Set(delivered.map(\.updateID)) == Set(ids))
        // Per chat, in order.
        for chat in Set(delivered.compactMap(\.routingKey)) {
            let order = delivered.filter { $0.routingKey == chat }.map(\.updateID)
            #expect(order == order.sorted(), "chat \(chat) out of order: \(order)")
        }
        try await waitUntil("pending 0", timeout: .seconds(60)) {
            (try await sim.call("getWebhookInfo").json["result"] as? [String: Any])?["pending_update_count"] as? Int == 0
        }
        try await sim.shutdown()
        try await receiver.shutdown()
    }

    @Test func maxConnections_boundsRequestsInFlight_oneperChat() async throws {
        let inFlight = Mutex((now: 0, peak: 0))
        let receiver = try await StubBotServer { _, _ in
            inFlight.locked { $0.now += 1; $0.peak = max($0.peak, $0.now) }
            Thread.sleep(forTimeInterval: 0)  // the answer is delayed below
            return StubBotServer.Response(status: 200, delay: .milliseconds(100))
        }
        let sim = try await SimHarness.start()
        _ = try await sim.call("setWebhook", ["url": receiver.baseURL + "/h", "max_connections": 3])
        let clock = ContinuousClock()
        let start = clock.now
        try await sim.generate(12, chats: 12)
        try await waitUntil("12 deliveries", timeout: .seconds(60)) {
            let pending = (try await sim.call("getWebhookInfo").json["result"] as? [String: Any])?["pending_update_count"] as? Int
            return pending == 0
        }
        let elapsed = clock.now - start
        // 12 updates, at most 3 at a time, 100 ms each: at least 400 ms. That more than one
        // went at once shows in the connections (kept alive, a new one only when all are busy),
        // not in a wall-clock bound that a loaded machine would break.
        #expect(elapsed >= .milliseconds(380), "\(elapsed)")
        #expect(receiver.connections <= 3)
        #expect(receiver.connections >= 2, "deliveries went one at a time")
        try await sim.shutdown()
        try await receiver.shutdown()
    }

    @Test func failures_areRetriedAndReported_nothingLost() async throws {
        let receiver = try await StubBotServer { _, index in
            index < 3 ? StubBotServer.Response(status: 500, body: Data("oops".utf8)) : StubBotServer.Response(status: 200)
        }
        let sim = try await SimHarness.start { $0.webhookRetryBase = .milliseconds(50) }
        _ = try await sim.call("setWebhook", ["url": receiver.baseURL + "/h"])
        let id = try await sim.inject(text: "retry me", chatID: 81)
        try await waitUntil("delivery after failures", timeout: .seconds(60)) { receiver.requests.count >= 4 }
        let info = try #require(try await sim.call("getWebhookInfo").json["result"] as? [String: Any])
        #expect(info["last_error_message"] as? String == "Wrong response from the webhook: 500 Internal Server Error")
        #expect((info["last_error_date"] as? Int ?? 0) > 0)
        #expect(info["max_connections"] as? Int == 40)
        #expect(try receiver.requests.allSatisfy { try UpdateScanner.scanUpdate($0.body).updateID == id })
        try await waitUntil("pending 0", timeout: .seconds(60)) {
            (try await sim.call("getWebhookInfo").json["result"] as? [String: Any])?["pending_update_count"] as? Int == 0
        }
        try await sim.shutdown()
        try await receiver.shutdown()
    }

    @Test func unreachableAndSlowEndpoints_keepUpdatesPending() async throws {
        let sim = try await SimHarness.start { $0.webhookTimeout = .milliseconds(300); $0.webhookRetryBase = .seconds(30) }
        _ = try await sim.call("setWebhook", ["url": "http://127.0.0.1:1/nobody"])
        try await sim.inject(text: "lost?", chatID: 91)
        try await waitUntil("an error", timeout: .seconds(60)) {
            (try await sim.call("getWebhookInfo").json["result"] as? [String: Any])?["last_error_message"] as? String == "Connection refused"
        }
        let hang = try await StubBotServer { _, _ in StubBotServer.Response(hang: true) }
        _ = try await sim.call("setWebhook", ["url": hang.baseURL + "/slow"])
        try await sim.inject(text: "slow", chatID: 92)
        try await waitUntil("a timeout", timeout: .seconds(60)) {
            (try await sim.call("getWebhookInfo").json["result"] as? [String: Any])?["last_error_message"] as? String == "Read timeout expired"
        }
        let info = try #require(try await sim.call("getWebhookInfo").json["result"] as? [String: Any])
        #expect(info["pending_update_count"] as? Int == 2)
        // Dropping them on delete.
        let deleted = try await sim.call("deleteWebhook", ["drop_pending_updates": true])
        #expect(deleted.json["result"] as? Bool == true)
        #expect((try await sim.call("getWebhookInfo").json["result"] as? [String: Any])?["pending_update_count"] as? Int == 0)
        try await sim.shutdown()
        try await hang.shutdown()
    }

    @Test func methodInTheResponse_isExecuted() async throws {
        let receiver = try await StubBotServer { request, _ in
            let chat = (try? UpdateScanner.scanUpdate(request.body).routingKey?.id) ?? 0
            return StubBotServer.Response(status: 200, body: Data(#"{"method":"sendMessage","chat_id":\#(chat),"text":"answered inline"}"#.utf8))
        }
        let sim = try await SimHarness.start()
        _ = try await sim.call("setWebhook", ["url": receiver.baseURL + "/h"])
        try await sim.inject(text: "ping", chatID: 101)
        try await waitUntil("the reply", timeout: .seconds(60)) {
            try await sim.transcript().contains { $0["method"] as? String == "sendMessage" }
        }
        let call = try #require(try await sim.transcript().first { $0["method"] as? String == "sendMessage" })
        #expect((call["params"] as? [String: Any])?["text"] as? String == "answered inline")
        #expect(call["ok"] as? Bool == true)
        try await sim.shutdown()
        try await receiver.shutdown()
    }

    @Test func setWebhook_validatesLikeTelegram() async throws {
        let sim = try await SimHarness.start()
        #expect(try await sim.call("setWebhook", ["url": "not a url"]).json["description"] as? String == "Bad Request: invalid webhook URL specified")
        #expect(try await sim.call("setWebhook", ["url": "https://x.org/h", "secret_token": "bad secret!"]).json["description"] as? String
                == "Bad Request: secret token contains unallowed characters")
        #expect(try await sim.call("setWebhook", ["url": "https://x.org/h", "secret_token": String(repeating: "a", count: 257)]).json["description"] as? String
                == "Bad Request: secret token is too long")
        #expect(try await sim.call("deleteWebhook").json["description"] as? String == "Webhook is already deleted")
        try await sim.shutdown()
    }
}
