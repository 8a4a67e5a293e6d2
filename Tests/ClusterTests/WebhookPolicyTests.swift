import ClusterRuntime
import Testing

@Suite("WebhookPolicy")
struct WebhookPolicyTests {
    let policy = WebhookPolicy(path: "/tg/hook", secret: "s3cret-token_1", maxBodyBytes: 1000)
    static let json = ("Content-Type", "application/json")
    static let secret = ("X-Telegram-Bot-Api-Secret-Token", "s3cret-token_1")

    @Test func aGoodRequest_isAccepted() {
        #expect(policy.check(method: "POST", uri: "/tg/hook", headers: [Self.json, Self.secret, ("Content-Length", "900")]) == .accept)
        #expect(policy.check(method: "POST", uri: "/tg/hook?x=1", headers: [("content-type", "application/json; charset=utf-8"),
                                                                            ("x-telegram-bot-api-secret-token", "s3cret-token_1")]) == .accept)
    }

    @Test func wrongOrMissingSecret_403_wrongPath_404_method_405_type_415_size_413() {
        #expect(policy.check(method: "POST", uri: "/tg/hook", headers: [Self.json]) == .reject(status: 403, reason: "forbidden"))
        #expect(policy.check(method: "POST", uri: "/tg/hook", headers: [Self.json, ("X-Telegram-Bot-Api-Secret-Token", "s3cret-token_2")])
            == .reject(status: 403, reason: "forbidden"))
        #expect(policy.check(method: "POST", uri: "/tg/other", headers: [Self.json, Self.secret]) == .reject(status: 404, reason: "not found"))
        #expect(policy.check(method: "GET", uri: "/tg/hook", headers: [Self.secret]) == .reject(status: 405, reason: "method not allowed"))
        #expect(policy.check(method: "POST", uri: "/tg/hook", headers: [Self.secret, ("Content-Type", "text/plain")])
            == .reject(status: 415, reason: "expected application/json"))
        guard case .reject(413, _) = policy.check(method: "POST", uri: "/tg/hook", headers: [Self.json, Self.secret, ("Content-Length", "1001")]) else {
            Issue.record("oversized body not refused")
            return
        }
        #expect(policy.check(method: "GET", uri: "/healthz", headers: []) == .health)
    }

    @Test func secrets_compareInConstantTime_andFollowTelegramsRule() {
        #expect(WebhookPolicy.constantTimeEqual("abc", "abc"))
        #expect(!WebhookPolicy.constantTimeEqual("abc", "abd"))
        #expect(!WebhookPolicy.constantTimeEqual("abc", "abcd"))
        #expect(!WebhookPolicy.constantTimeEqual("", "a"))
        #expect(WebhookPolicy.isValidSecret("A-z_09"))
        #expect(!WebhookPolicy.isValidSecret("has space"))
        #expect(!WebhookPolicy.isValidSecret(""))
        #expect(!WebhookPolicy.isValidSecret(String(repeating: "a", count: 257)))
    }
}
