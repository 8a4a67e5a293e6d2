import Foundation
import Locking
import Synchronization
import Sim
import Testing
import TGClusterTesting

/// What a hostile client can take from the webhook (issue 17): slowloris connections are
/// closed at their request deadline while Telegram's deliveries go on, connections beyond the
/// cap are closed at once and idle ones after the idle timeout, and 10,000 garbage requests
/// are all answered 4xx or closed, with nothing enqueued, memory flat and no descriptor leaked.
@Suite("Webhook limits (processes)", .serialized)
struct WebhookLimitsIntegrationTests {
    static let limits = ["--max-open", "100", "--request-timeout", "2s", "--idle-timeout", "3s"]

    @Test func slowClients_garbage_andTooManyConnections_takeNothingFromTelegram() async throws {
        let port = freePort()
        try await withCluster(bot: testBot, workers: 2, extra: WebhookIntegrationTests.webhookArguments(port: port) + Self.limits,
                              simConfigure: { $0.webhookRetryBase = .milliseconds(100) }) { cluster in
            try await waitUntil("the webhook registered", timeout: .seconds(20)) {
                (try await cluster.sim.stats())["webhook_url"] as? String == "http://127.0.0.1:\(port)/tg/hook"
            }
            let ingest = try #require(cluster.child("ingest"))

            // 50 slowloris clients: a header line every 300 ms, never the end of the head.
            let loris = Task { await offThePool { Self.slowloris(port: port, clients: 50) } }
            try await Task.sleep(for: .milliseconds(300))
            try await cluster.sim.generate(200, chats: 20)
            try await waitUntil("200 answered past the slow clients", timeout: .seconds(30)) { try await cluster.replyCount() >= 200 }
            let heldFor = await loris.value
            #expect(heldFor.count == 50 && heldFor.allSatisfy { $0 < 5 }, "slow clients held on for \(heldFor.max() ?? -1) s (deadline 2 s)")

            // 10,000 garbage requests.
            try await Task.sleep(for: .seconds(4))
            let (fdsBefore, rssBefore) = (openDescriptors(ingest), residentKiB(ingest))
            let outcomes = await offThePool { Self.garbage(port: port, requests: 10_000) }
            try await Task.sleep(for: .seconds(1))
            let (fdsAfter, rssAfter) = (openDescriptors(ingest), residentKiB(ingest))
            #expect(outcomes.accepted == 0 && outcomes.other == 0, "garbage got \(outcomes)")
            #expect(outcomes.refused + outcomes.closed == 10_000)
            #expect(fdsAfter <= fdsBefore + 2, "descriptors \(fdsBefore) → \(fdsAfter)")
            // Not under a sanitizer (TestBounds): ASan's quarantine alone kept +356 MB here.
            if TestBounds.memoryIsMeasurable { #expect(rssAfter - rssBefore < 32_768, "ingest grew \(rssAfter - rssBefore) KiB") }
            let replies = try await cluster.replies()
            #expect(Set(replies.keys) == Set((0..<20).map { 100_000 + Int64($0) }), "only the 200 real updates were handled")

            // 150 idle connections: 50 beyond the cap closed at once, the rest at the idle timeout.
            try await Task.sleep(for: .seconds(4))
            let (closedAtOnce, closedLater) = await offThePool { Self.idleConnections(port: port, count: 150) }
            #expect(closedAtOnce == 50, "\(closedAtOnce) closed at once (cap 100)")
            #expect(closedLater == 100, "\(closedLater) of 100 closed by the idle timeout")
            print("webhook limits: 50 slow clients closed after \(heldFor.max() ?? -1) s at most; 10,000 garbage requests: \(outcomes.refused) 4xx, \(outcomes.closed) closed; descriptors \(fdsBefore) → \(fdsAfter), RSS \(rssBefore) → \(rssAfter) KiB; 150 idle: \(closedAtOnce) refused at once")
            #expect(try await cluster.stop() == 0)
        }
    }

    /// Seconds each slow client was held before the server closed it (8 s at most).
    static func slowloris(port: Int, clients: Int) -> [Double] {
        let held = LockedArray()
        DispatchQueue.concurrentPerform(iterations: clients) { _ in
            guard let c = RawHTTPClient(port: port, readTimeout: .milliseconds(300)) else { return }
            defer { c.close() }
            let start = Date()
            _ = c.send(Array("POST /tg/hook HTTP/1.1\r\nHost: a\r\n".utf8))
            while Date().timeIntervalSince(start) < 8 {
                if !c.send(Array("X-Slow: \(Int.random(in: 0...9))\r\n".utf8)) { break }
                let (_, closed) = c.readToEnd()
                if closed { break }
            }
            held.append(Date().timeIntervalSince(start))
        }
        return held.values
    }

    struct Outcomes: Sendable, CustomStringConvertible {
        var refused = 0, closed = 0, accepted = 0, other = 0
        var description: String { "\(refused) 4xx, \(closed) closed, \(accepted) 2xx, \(other) other" }
    }

    /// Random methods, paths, headers and bodies; the right path and secret with bodies that
    /// are not updates; broken chunking; lengths that lie; huge header lines.
    static func garbage(port: Int, requests: Int) -> Outcomes {
        let total = Mutex(Outcomes())
        DispatchQueue.concurrentPerform(iterations: 4) { lane in
            var rng = SplitMix64(seed: UInt64(lane + 1))
            for _ in 0..<(requests / 4) {
                guard let c = RawHTTPClient(port: port) else { total.locked { $0.other += 1 }; continue }
                c.send(garbageRequest(&rng))
                c.finishSending()
                let (bytes, _) = c.readToEnd()
                c.close()
                let head = String(decoding: bytes.prefix(12), as: UTF8.self)
                total.locked {
                    if bytes.isEmpty { $0.closed += 1 } else if head.hasPrefix("HTTP/1.1 4") { $0.refused += 1 }
                    else if head.hasPrefix("HTTP/1.1 2") { $0.accepted += 1 } else { $0.other += 1 }
                }
            }
        }
        return total.locked { $0 }
    }

    static func garbageRequest(_ rng: inout SplitMix64) -> [UInt8] {
        func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        let secret = "X-Telegram-Bot-Api-Secret-Token: \(WebhookIntegrationTests.secret)\r\nContent-Type: application/json\r\n"
        let body = bytes(Int(rng.next() % 300))
        switch rng.next() % 8 {
        case 0: return bytes(Int(rng.next() % 600))
        case 1:
            let head = "\(pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW", "post"])) \(pick(["/", "/tg/hook", "/tg/hook/../x", "*", "/%00"])) HTTP/1.1\r\n"
                + (0..<Int(rng.next() % 5)).map { "X-\($0): \(rng.next())\r\n" }.joined() + "\r\n"
            return Array(head.utf8) + body
        case 2: return Array("POST /tg/hook HTTP/1.1\r\n\(secret)Content-Length: \(body.count)\r\n\r\n".utf8) + body
        case 3: return Array("POST /tg/hook HTTP/1.1\r\n\(secret)Transfer-Encoding: chunked\r\n\r\n\(pick(["zz", "-5", "ffffffffffffffff", "3"]))\r\nabcdef\r\n".utf8)
        case 4: return Array("POST /tg/hook HTTP/1.1\r\n\(secret)Content-Length: \(body.count + 50)\r\n\r\n".utf8) + body
        case 5: return Array("POST /tg/hook HTTP/1.1\r\nX-Big: \(String(repeating: "a", count: 20_000))\r\n\r\n".utf8)
        case 6: return Array("POST /tg/hook HTTP/1.1\r\nX-Telegram-Bot-Api-Secret-Token: nope\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}".utf8)
        default: return Array("\(pick(["GET / HTTP/9.9", "POST", "POST /tg/hook HTTP/1.1\r\nContent-Length: -1", "\r\n\r\n"]))\r\n\r\n".utf8) + body
        }
    }

    /// Opens `count` connections that send nothing: how many the server closed within half a
    /// second, and how many of the rest it closed within six.
    static func idleConnections(port: Int, count: Int) -> (atOnce: Int, later: Int) {
        let clients = (0..<count).compactMap { _ in RawHTTPClient(port: port) }
        defer { clients.forEach { $0.close() } }
        Thread.sleep(forTimeInterval: 0.5)
        let open = clients.filter { !$0.isClosedNow }
        Thread.sleep(forTimeInterval: 6)
        return (clients.count - open.count, open.filter(\.isClosedNow).count)
    }
}

/// An array appended to from several threads.
final class LockedArray: Sendable {
    private let storage = Mutex<[Double]>([])
    func append(_ v: Double) { storage.locked { $0.append(v) } }
    var values: [Double] { storage.locked { $0 } }
}
