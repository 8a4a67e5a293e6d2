import Foundation
import Testing
import TGClusterTesting

/// Webhook ingest on real processes: the emulator delivers to a webhook the cluster registered
/// itself; updates arrive once each, through a broker restart; bad requests are refused and
/// never handled; TLS with a certificate made here.
@Suite("Webhook (processes)", .serialized)
struct WebhookIntegrationTests {
    static let secret = "test-Secret_42"

    /// curl, as a client of the webhook would be; the HTTP status.
    static func post(_ url: String, body: String, headers: [String] = [], insecure: Bool = false) async throws -> Int {
        let r = try await SpawnedProcess.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "-X", "POST", url,
                                                               "--data-binary", body] + headers.flatMap { ["-H", $0] } + (insecure ? ["-k"] : []),
                                             separateErrors: true)
        return Int(r.output) ?? 0
    }

    static func webhookArguments(port: Int, scheme: String = "http", tls: [String] = []) -> [String] {
        ["--webhook", "--listen", "127.0.0.1:\(port)", "--url", "\(scheme)://127.0.0.1:\(port)/tg/hook", "--secret", secret, "--register"] + tls
    }

    @Test func registeredWebhook_eachUpdateOnce_throughABrokerRestart_badRequestsRefused() async throws {
        let port = freePort()
        try await withCluster(bot: testBot, workers: 2, extra: Self.webhookArguments(port: port),
                                               simConfigure: { $0.webhookRetryBase = .milliseconds(100) }) { cluster in
            try await waitUntil("the webhook registered", timeout: .seconds(20)) {
                (try await cluster.sim.stats())["webhook_url"] as? String == "http://127.0.0.1:\(port)/tg/hook"
            }
            try await cluster.sim.generate(600, chats: 30)
            try await waitUntil("200 answered", timeout: .seconds(60)) { try await cluster.replyCount() >= 200 }
            let broker = try #require(cluster.child("broker"))
            kill(broker, SIGKILL)
            try await cluster.sim.generate(600, chats: 30, firstChatID: 200_000)
            try await waitUntil("1,200 answered", timeout: .seconds(90)) {
                try await cluster.replies().values.reduce(0) { $0 + Set($1).count } >= 1200
            }
            let replies = try await cluster.replies()
            var repeats = 0
            for (first, n) in [(Int64(100_000), 600), (200_000, 600)] {
                for (chat, texts) in expectedEcho(chats: 30, count: n, firstChat: first) {
                    let got = replies[chat] ?? []
                    #expect(Set(got) == Set(texts), "chat \(chat) lost an update")
                    repeats += got.count - Set(got).count
                }
            }
            print("webhook: 1200 updates through a broker kill; \(repeats) answered twice (in flight at the kill)")
            let stats = try await cluster.sim.stats()
            #expect(stats["updates_pending"] as? Int == 0)

            // Bad requests: refused, never handled.
            let url = "http://127.0.0.1:\(port)/tg/hook"
            let update = #"{"update_id":5,"message":{"message_id":1,"date":1,"chat":{"id":777,"type":"private"},"text":"sneaky"}}"#
            let json = "Content-Type: application/json"
            #expect(try await Self.post(url, body: update, headers: [json]) == 403, "no secret")
            #expect(try await Self.post(url, body: update, headers: [json, "X-Telegram-Bot-Api-Secret-Token: wrong"]) == 403)
            let big = cluster.dataDir + "/big.json"
            try Data(repeating: 0x78, count: 2 << 20).write(to: URL(fileURLWithPath: big))
            #expect(try await Self.post(url, body: "@" + big, headers: [json, "X-Telegram-Bot-Api-Secret-Token: \(Self.secret)"]) == 413)
            #expect(try await Self.post(url, body: "{\"update_id\": oops", headers: [json, "X-Telegram-Bot-Api-Secret-Token: \(Self.secret)"]) == 400)
            #expect(try await Self.post("http://127.0.0.1:\(port)/elsewhere", body: update, headers: [json]) == 404)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await cluster.replies()[777] == nil, "a refused request was handled")
            let letters = try String(contentsOfFile: cluster.dataDir + "/dead-letter.jsonl", encoding: .utf8)
            #expect(letters.contains("\"source\":\"webhook\"") && letters.contains("oops"))
            #expect(try await cluster.stop() == 0)
        }
    }

    @Test func tls_withASelfSignedCertificate_servesTheWebhook() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-tls-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let openssl = try await SpawnedProcess.run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", dir + "/key.pem",
                                                                        "-out", dir + "/cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1"])
        #expect(openssl.status == 0, "\(openssl.output)")
        let port = freePort()
        // Not registered: the emulator does not trust a self-signed certificate; a client that does (curl -k) posts.
        try await withCluster(bot: testBot, workers: 1, extra: ["--webhook", "--listen", "127.0.0.1:\(port)", "--url", "https://127.0.0.1:\(port)/tg/hook",
                                                                   "--secret", Self.secret, "--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"]) { cluster in
            try await cluster.sim.inject(text: "warm up", chatID: 888)  // the emulator learns chat 888
            let update = #"{"update_id":900000001,"message":{"message_id":1,"date":1,"chat":{"id":888,"type":"private"},"text":"over tls"}}"#
            var status = 0
            try await waitUntil("the TLS webhook up", timeout: .seconds(20)) {
                status = try await Self.post("https://127.0.0.1:\(port)/tg/hook", body: update,
                                             headers: ["Content-Type: application/json", "X-Telegram-Bot-Api-Secret-Token: \(Self.secret)"], insecure: true)
                return status == 200
            }
            #expect(try await Self.post("http://127.0.0.1:\(port)/tg/hook", body: update, headers: ["Content-Type: application/json"]) != 200,
                    "plain HTTP on the TLS port must not work")
            try await waitUntil("the reply", timeout: .seconds(20)) { try await cluster.replies()[888]?.contains("over tls") == true }
            #expect(try await cluster.stop() == 0)
        }
    }
}
