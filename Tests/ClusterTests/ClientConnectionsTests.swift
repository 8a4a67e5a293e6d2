import BotAPI
import Foundation
import Logging
import TGClusterTesting
import Testing
@testable import ClusterRuntime

/// The Bot API client a role builds keeps its connections across bursts of calls.
@Suite("Client connections")
struct ClientConnectionsTests {
    /// With a pool smaller than `--concurrency`, every burst beyond the pool closed its
    /// connections when it ended and the next burst opened new ones: a TCP handshake per call
    /// (and a TLS one with Telegram). A backlog of 20,000 updates over 2,000 chats cost the
    /// cluster twice the CPU per update of 5,000 over 500 for that reason alone. Without the fix
    /// this test counts 150 + 86 connections (the pool kept 64).
    @Test func aSecondBurstOfConcurrentCalls_opensNoNewConnections() async throws {
        let sim = try await SimHarness.start { $0.latency = .milliseconds(500) }
        var configuration = ClusterConfiguration()
        configuration.token = sim.token
        configuration.apiURL = sim.baseURL
        configuration.concurrency = 150
        configuration.flood = nil
        let client = try configuration.makeClient(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        var answered = 0
        for _ in 0..<2 {
            answered += try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<configuration.concurrency {
                    group.addTask { try await client.send(methodName: "getMe").status == 200 ? 1 : 0 }
                }
                return try await group.reduce(0, +)
            }
        }
        let opened = try await sim.stats()["connections_opened"] as? Int ?? -1
        client.shutdown()
        try await sim.shutdown()
        #expect(answered == 2 * configuration.concurrency)
        // The control client's own connection, and slack for a connection the server closed.
        #expect(opened >= 1 && opened <= configuration.concurrency + 5, "connections opened: \(opened)")
    }

    /// Easy handles are reused without `curl_easy_reset`, so every option a call sets must be set
    /// by every call: a call on a fresh connection (`tgcluster probe`) must not leave the next
    /// calls on its handle opening fresh connections too. One call at a time, so each reuses
    /// the same handle; without setting FRESH_CONNECT and FORBID_REUSE back, each of the five
    /// later calls opens a connection of its own (7 in all, tried).
    @Test func aHandleReusedAfterAFreshConnectionCall_reusesConnectionsAgain() async throws {
        let sim = try await SimHarness.start()
        let client = BotClient(configuration: .init(token: sim.token, apiURL: sim.baseURL),
                               logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        #expect(try await client.send(methodName: "getMe", freshConnection: true).status == 200)
        for _ in 0..<5 {
            #expect(try await client.send(methodName: "getMe").status == 200)
        }
        let opened = try await sim.stats()["connections_opened"] as? Int ?? -1
        client.shutdown()
        try await sim.shutdown()
        // The fresh call's own connection (closed after it), one for the five, the control client's.
        #expect(opened >= 2 && opened <= 3, "connections opened: \(opened)")
    }
}
