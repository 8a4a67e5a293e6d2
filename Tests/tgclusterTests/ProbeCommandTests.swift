import BotAPI
import Foundation
import Testing
import TGClusterTesting

/// `tgcluster probe` as a user runs it: the real binary, a real HTTP server on loopback.
@Suite("tgcluster probe")
struct ProbeCommandTests {
    static let token = "4242:probe-SECRET-token"
    static let me = #"{"id":4242,"is_bot":true,"first_name":"Probe","username":"probe_bot"}"#

    @Test func jsonReport_hasEveryPhaseAndUsesNewConnections() async throws {
        let server = try await StubBotServer { _, _ in .ok(Self.me) }
        let result = try await Tool.run(["probe", "--count", "5", "--json"],
                                        environment: ["TELEGRAM_BOT_TOKEN": Self.token, "TELEGRAM_API_URL": server.baseURL])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(ProbeReport.self, from: Data(result.stdout.utf8))
        #expect(report.count == 5)
        #expect(report.method == "getMe")
        #expect(report.phases.map(\.name) == ["name_lookup", "connect", "tls_handshake", "pretransfer", "start_transfer", "total"])
        for phase in report.phases {
            let s = phase.milliseconds
            #expect(s.min <= s.median && s.median <= s.p95 && s.p95 <= s.max, "\(phase)")
        }
        #expect(report.phases.last!.milliseconds.min > 0)
        // Loopback is excellent on a quiet machine; a loaded one may take longer, so the
        // verdict is checked against the median it reports (the thresholds are tested below).
        #expect(report.verdict == ProbeReport.judge(medianMilliseconds: report.phases.last!.milliseconds.median).0, "\(report.verdictText)")
        #expect(server.requests.count == 5)
        #expect(server.connections == 5, "each call should open its own connection")
        try await server.shutdown()
    }

    @Test func verdict_followsTheGuidesRuleOfThumb() {
        #expect(ProbeReport.judge(medianMilliseconds: 0.4).0 == .excellent)
        #expect(ProbeReport.judge(medianMilliseconds: 15).0 == .excellent)
        #expect(ProbeReport.judge(medianMilliseconds: 15.1).0 == .good)
        #expect(ProbeReport.judge(medianMilliseconds: 50).0 == .good)
        let slow = ProbeReport.judge(medianMilliseconds: 120)
        #expect(slow.0 == .slow && slow.1.contains("120.0 ms") && slow.1.contains("webhooks"))
    }

    @Test func reuse_measuresOneKeptAliveConnection() async throws {
        let server = try await StubBotServer { _, _ in .ok(Self.me) }
        let result = try await Tool.run(["probe", "--count", "4", "--reuse", "--method", "getWebhookInfo"],
                                        environment: ["TELEGRAM_BOT_TOKEN": Self.token, "TELEGRAM_API_URL": server.baseURL])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("probe: 4 × getWebhookInfo"))
        #expect(result.stdout.contains("tls handshake"))
        #expect(result.stdout.contains("verdict: "))
        #expect(server.connections == 1)
        #expect(server.requests.allSatisfy { $0.botMethod == "getWebhookInfo" })
        try await server.shutdown()
    }

    @Test func missingToken_isAClearError() async throws {
        let result = try await Tool.run(["probe"], environment: ["TELEGRAM_BOT_TOKEN": ""])
        #expect(result.status == 2)
        #expect(result.stderr == "error: no bot token: set TELEGRAM_BOT_TOKEN or pass --token\n")
    }

    @Test func badToken_isAClearErrorWithoutTheToken() async throws {
        let server = try await StubBotServer { request, _ in .error(401, "Unauthorized") }
        let result = try await Tool.run(["probe", "--api-url", server.baseURL],
                                        environment: ["TELEGRAM_BOT_TOKEN": Self.token])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: the Bot API at \(server.baseURL) rejected the token (401 Unauthorized)"))
        #expect(!(result.stdout + result.stderr).contains("SECRET"))
        #expect(server.requests.count == 1, "a probe never retries")
        try await server.shutdown()
    }

    @Test func unreachableHost_isAClearError() async throws {
        let result = try await Tool.run(["probe", "--count", "1"],
                                        environment: ["TELEGRAM_BOT_TOKEN": Self.token, "TELEGRAM_API_URL": "http://127.0.0.1:1"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: cannot reach the Bot API at http://127.0.0.1:1"))
        #expect(!result.stderr.contains("SECRET"))
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func stats_areNearestRank() {
        let s = ProbeReport.Stats((1...20).map(Double.init).reversed())
        #expect(s.min == 1)
        #expect(s.median == 10)
        #expect(s.p95 == 19)
        #expect(s.max == 20)
    }
}
