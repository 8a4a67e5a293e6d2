import Foundation
import TGClusterTesting
import Testing
@testable import BotAPI

/// The plain-HTTP client against real servers on loopback: kept-alive connections, the
/// framings and failures of a raw scripted server, timeouts, cancellation, and which requests
/// it takes from libcurl.
@Suite("PlainHTTPLoop")
struct PlainHTTPLoopTests {
    static func call(_ base: String, _ method: String, body: String? = nil) -> HTTPRequest {
        var request = HTTPRequest(url: base + "/bot1:x/\(method)",
                                  body: body.map { .bytes(Data($0.utf8), contentType: "application/json") } ?? .none)
        request.recurringURL = true
        return request
    }

    /// The table of transfers in flight probes linearly from a key's bucket (its hash's low
    /// bits), and a delete walks the run of occupied buckets after the removed key. Transfer
    /// numbers are consecutive: hashed to themselves they filled one unbroken run as long as
    /// the transfers in flight (256 here: every finished request walked them all, ~1,900
    /// instructions). Hashed by `TableHash`, the longest run stays short.
    @Test func consecutiveTransferNumbers_leaveNoLongRunOfOccupiedBuckets() {
        for seed in [0, 12345, -987_654_321] {
            var occupied = [Bool](repeating: false, count: 512)  // 256 in flight: half full
            for n in UInt64(1_000)..<UInt64(1_256) {
                var bucket = PlainHTTPTransferID(n)._rawHashValue(seed: seed) & 511
                while occupied[bucket] { bucket = (bucket + 1) & 511 }
                occupied[bucket] = true
            }
            var longest = 0, run = 0
            for b in 0..<(512 * 2) {  // twice round, for a run that wraps
                run = occupied[b & 511] ? min(run + 1, 512) : 0
                longest = max(longest, run)
            }
            // A random function at half load: runs of a few dozen at most; the identity: 256.
            #expect(longest < 64, "seed \(seed): a run of \(longest) occupied buckets")
        }
    }

    @Test func whatItSends_plainHTTPAtAnIPAddress_theRestIsLibcurls() throws {
        func takes(_ url: String) -> Bool {
            guard let target = PlainHTTPTarget(url: url) else { return false }
            return PlainHTTPLoop.accepts(HTTPRequest(url: url), at: target)
        }
        #expect(takes("http://127.0.0.1:8081/bot1:x/getMe"))
        #expect(takes("HTTP://10.0.0.7/bot1:x/getMe"))
        #expect(takes("http://[::1]:8081/bot1:x/getMe"))
        #expect(!takes("https://127.0.0.1:8443/bot1:x/getMe"), "TLS is libcurl's")
        #expect(!takes("http://localhost:8081/bot1:x/getMe"), "a name needs a resolver")
        #expect(!takes("http://api.telegram.org/bot1:x/getMe"))
        #expect(!takes("http://user:pw@127.0.0.1/bot1:x/getMe"))
        #expect(!takes("http://127.0.0.1:0/bot1:x/getMe"))
        #expect(!takes("http://127.0.0.1:99999/bot1:x/getMe"))
        #expect(!takes("http://[::1/bot1:x/getMe"))
        let api = try #require(PlainHTTPTarget(url: "http://127.0.0.1:8081"))
        #expect(PlainHTTPLoop.accepts(HTTPRequest(url: "http://127.0.0.1:8081/file/bot1:x/photos/file_1.jpg"), at: api))
        #expect(!PlainHTTPLoop.accepts(HTTPRequest(url: "http://127.0.0.1:8082/bot1:x/getMe"), at: api), "another origin")
        #expect(!PlainHTTPLoop.accepts(HTTPRequest(url: "http://127.0.0.1:80810/bot1:x/getMe"), at: api), "another origin")
        var fresh = HTTPRequest(url: "http://127.0.0.1:8081/bot1:x/getMe")
        fresh.freshConnection = true
        #expect(!PlainHTTPLoop.accepts(fresh, at: api), "a fresh connection is what probe measures, with libcurl")
        let upload = HTTPRequest(url: "http://127.0.0.1:8081/bot1:x/sendPhoto", body: .multipart([.init(name: "photo", data: Data([1]))]))
        #expect(!PlainHTTPLoop.accepts(upload, at: api), "uploads are libcurl's MIME")
        // A path that cannot go on a request line as it is: refused, as libcurl refuses it.
        #expect(api.request(url: "http://127.0.0.1:8081/file/bot1:x/a b.jpg", method: "GET", headers: [], contentType: nil, body: nil) == nil)
        let head = try #require(api.request(url: "http://127.0.0.1:8081/bot1:x/getMe", method: "GET", headers: [], contentType: nil, body: nil))
        #expect(String(decoding: head, as: UTF8.self) == "GET /bot1:x/getMe HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n\r\n")
    }

    /// A request's bytes exactly: its own headers, then Content-Type and a Content-Length of
    /// every width (written in place, not through a string), then the body.
    @Test func theRequestsBytes_areItsHeadAndBody() throws {
        let api = try #require(PlainHTTPTarget(url: "http://[::1]:8081"))
        for length in [0, 7, 10, 99, 1_234_567] {
            let body = Data(repeating: UInt8(ascii: "x"), count: length)
            let bytes = try #require(api.request(url: "http://[::1]:8081/bot1:x/sendMessage", method: "POST",
                                                 headers: [("Accept", "*/*"), ("X-Trace", "é 1")], contentType: "application/json", body: body))
            let expected = "POST /bot1:x/sendMessage HTTP/1.1\r\nHost: [::1]:8081\r\nAccept: */*\r\nX-Trace: é 1\r\n"
                + "Content-Type: application/json\r\nContent-Length: \(length)\r\n\r\n" + String(repeating: "x", count: length)
            #expect(bytes == Array(expected.utf8), "\(length)")
        }
        let bare = try #require(api.request(url: "http://[::1]:8081", method: "POST", headers: [], contentType: nil, body: Data("{}".utf8)))
        #expect(String(decoding: bare, as: UTF8.self) == "POST / HTTP/1.1\r\nHost: [::1]:8081\r\nContent-Length: 2\r\n\r\n{}")
    }

    /// Fifty calls, one connection; the request carries its method, path, host and body.
    @Test func calls_reuseOneConnection_andCarryTheirBody() async throws {
        let server = try await StubBotServer { _, _ in .ok("true") }
        let loop = PlainHTTPLoop()
        var opened = 0
        for i in 0..<50 {
            let r = try await loop.perform(Self.call(server.baseURL, "sendMessage", body: #"{"chat_id":\#(i),"text":"hi"}"#))
            #expect(r.status == 200)
            #expect(String(decoding: r.body, as: UTF8.self) == #"{"ok":true,"result":true}"#)
            opened += r.metrics.newConnections
        }
        #expect(server.connections == 1)
        #expect(opened == 1)
        let last = try #require(server.requests.last)
        #expect(last.method == "POST" && last.uri == "/bot1:x/sendMessage")
        #expect(last.headers["Host"] == ["127.0.0.1:\(server.port)"])
        #expect(last.headers["Content-Type"] == ["application/json"])
        #expect(String(decoding: last.body, as: UTF8.self) == #"{"chat_id":49,"text":"hi"}"#)
        #expect(try await loop.perform(Self.call(server.baseURL, "getMe")).status == 200)
        #expect(server.requests.last?.method == "GET")
        loop.shutdown()
        try await server.shutdown()
    }

    /// The server closes a kept-alive connection instead of answering: the request is sent
    /// again, once, on a new connection.
    @Test func aReusedConnectionClosedByTheServer_isRetriedOnANewOne() async throws {
        let server = try await StubBotServer { _, index in
            index == 1 ? StubBotServer.Response(drop: true) : .ok("true")
        }
        let loop = PlainHTTPLoop()
        #expect(try await loop.perform(Self.call(server.baseURL, "getMe")).status == 200)
        let second = try await loop.perform(Self.call(server.baseURL, "sendMessage"))
        #expect(second.status == 200)
        #expect(second.metrics.newConnections == 1)
        #expect(server.requests.map(\.botMethod) == ["getMe", "sendMessage", "sendMessage"])
        #expect(server.connections == 2)
        loop.shutdown()
        try await server.shutdown()
    }

    /// On a new connection a close without an answer is not retried (it is not a stale
    /// connection): libcurl's "empty reply", a transient failure the client retries itself.
    @Test func aNewConnectionClosedWithoutAnAnswer_isAnEmptyReply() async throws {
        let server = try ScriptedHTTPServer([.init(pieces: [], close: true)])
        let loop = PlainHTTPLoop()
        await #expect {
            try await loop.perform(Self.call(server.baseURL, "getMe"))
        } throws: { error in
            guard let error = error as? CurlError else { return false }
            return error.code == 52 && error.isTransient
        }
        #expect(server.requests.count == 1)
        loop.shutdown()
        server.shutdown()
    }

    /// Answers in pieces (the head split, a chunked body, a body ended by the close), and
    /// `Connection: close`: each is read whole, and a connection that cannot carry another
    /// request is not reused.
    @Test func framings_inPieces_areReadWhole() async throws {
        let server = try ScriptedHTTPServer([
            .init(pieces: ["HTTP/1.1 200 OK\r\nContent-Le", "ngth: 5\r\n\r\nhe", "llo"]),
            .init(pieces: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", "2\r\nde\r\n0\r\n\r\n"]),
            .init(pieces: ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"], close: true),
            .init(pieces: ["HTTP/1.0 200 OK\r\n\r\nto the ", "end"], close: true),
            .init(pieces: ["HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlast"]),
        ])
        let loop = PlainHTTPLoop()
        var bodies: [String] = []
        for _ in 0..<5 {
            bodies.append(String(decoding: try await loop.perform(Self.call(server.baseURL, "getMe")).body, as: UTF8.self))
        }
        #expect(bodies == ["hello", "abcde", "ok", "to the end", "last"])
        #expect(server.connections == 3, "a new connection after each close")
        loop.shutdown()
        server.shutdown()
    }

    /// A megabyte answer (several reads of the loop's 64 KiB buffer).
    @Test func aLargeAnswer_isReadWhole() async throws {
        let big = String(repeating: "x", count: 1_000_000)
        let server = try await StubBotServer { _, _ in .ok("\"\(big)\"") }
        let loop = PlainHTTPLoop()
        let r = try await loop.perform(Self.call(server.baseURL, "getUpdates"))
        #expect(r.body.count == big.count + #"{"ok":true,"result":""}"#.count)
        loop.shutdown()
        try await server.shutdown()
    }

    /// A 4 MB request: more than a loopback socket's send buffer takes at once, so a `send`
    /// stops at EAGAIN and the loop thread finishes the write when the socket drains (seen with
    /// `strace -f`: 3,919,467 bytes, EAGAIN, then the last 80,662).
    @Test func aLargeRequest_isWrittenWhole_byTheCallerThenTheLoop() async throws {
        let server = try await StubBotServer { _, _ in .ok("true") }
        let loop = PlainHTTPLoop()
        let text = String(repeating: "y", count: 4_000_000)
        let r = try await loop.perform(Self.call(server.baseURL, "sendDocument", body: #"{"text":"\#(text)"}"#))
        #expect(r.status == 200)
        #expect(server.requests.first?.body.count == text.count + 11)
        #expect(try await loop.perform(Self.call(server.baseURL, "getMe")).status == 200, "the connection is in step after it")
        #expect(server.connections == 1)
        loop.shutdown()
        try await server.shutdown()
    }

    @Test func aServerThatNeverAnswers_timesOut_asLibcurlsTimeout() async throws {
        let server = try await StubBotServer { _, _ in StubBotServer.Response(hang: true) }
        let loop = PlainHTTPLoop()
        var request = Self.call(server.baseURL, "getMe")
        request.totalTimeout = .milliseconds(300)
        let start = ContinuousClock.now
        // The request's own timeout, not the connect timeout (10 s) nor the default (30 s): told by
        // the error, not by the time the call took, which includes waiting for a thread of Swift's
        // pool (two here) to resume it. In a parallel run of every suite that wait once passed
        // 5 s, while other suites' blocking calls held the pool.
        await #expect {
            try await loop.perform(request)
        } throws: { error in
            guard let error = error as? CurlError else { return false }
            return error.isTimeout && error.operation == "HTTP request" && error.message.hasPrefix("operation timed out after 300 milliseconds")
        }
        let elapsed = ContinuousClock.now - start
        #expect(elapsed >= .milliseconds(300) && elapsed < TestBounds.notStuck(.seconds(30)), "timed out after \(elapsed)")
        loop.shutdown()
        try await server.shutdown()
    }

    @Test func aClosedPort_failsToConnect_transiently() async throws {
        // Port 1 (tcpmux): nothing listens there on a test machine.
        let loop = PlainHTTPLoop()
        await #expect {
            try await loop.perform(Self.call("http://127.0.0.1:1", "getMe"))
        } throws: { error in
            guard let error = error as? CurlError else { return false }
            return error.code == 7 && error.isTransient
        }
        loop.shutdown()
    }

    @Test func cancellation_endsTheCallPromptly_andShutdownFailsWhatIsLeft() async throws {
        let server = try await StubBotServer { _, _ in StubBotServer.Response(hang: true) }
        let loop = PlainHTTPLoop()
        var hung = Self.call(server.baseURL, "getMe")
        hung.totalTimeout = .seconds(60)
        let task = Task { try await loop.perform(hung) }
        let left = Task { try await loop.perform(Self.call(server.baseURL, "getUpdates")) }
        for _ in 0..<2000 where server.requests.count < 2 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.requests.count == 2)
        let start = ContinuousClock.now
        task.cancel()
        // A CancellationError, not the timeout's CurlError, says the cancellation ended it; the
        // bound only says it did not wait for the timeout (a loaded test process is slow to
        // run the awaiting task: 4 s in one parallel run).
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - start < TestBounds.notStuck(.seconds(30)))
        loop.shutdown()
        await #expect {
            try await left.value
        } throws: { error in
            (error as? CurlError)?.message == "client is shut down"
        }
        await #expect(throws: CurlError.self) { try await loop.perform(Self.call(server.baseURL, "getMe")) }
        try await server.shutdown()
    }

    /// The idle pool keeps `maxIdleConnections` and closes the rest: ten calls at once (each
    /// held 300 ms by the server) open as many connections as overlapped, and two stay.
    /// (Counted, not assumed: a test process starved of cores may start the ten one by one.)
    @Test func theIdlePool_isBounded() async throws {
        let server = try await StubBotServer { _, _ in StubBotServer.Response(body: Data(#"{"ok":true,"result":true}"#.utf8), delay: .milliseconds(300)) }
        var configuration = PlainHTTPLoop.Configuration()
        configuration.maxIdleConnections = 2
        let loop = PlainHTTPLoop(configuration: configuration)
        func burst() async throws -> Int {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 { group.addTask { try await loop.perform(Self.call(server.baseURL, "getMe")).metrics.newConnections } }
                return try await group.reduce(0, +)
            }
        }
        let first = try await burst()
        #expect(loop.idleConnections == min(server.connections, 2))
        let second = try await burst()
        #expect(server.connections == first + second)
        #expect(loop.idleConnections == min(server.connections, 2))
        loop.shutdown()
        try await server.shutdown()
    }

    /// The client sends plain HTTP at an IP address through this loop unless told otherwise:
    /// with a pool that keeps nothing, every call opens a connection; through libcurl (the
    /// variant, `TGCLUSTER_HTTP_CLIENT=curl`), one is kept.
    @Test func theBotClient_routesPlainHTTPHere_unlessToldCurl() async throws {
        let server = try await StubBotServer { _, _ in .ok("true") }
        var configuration = BotClient.Configuration(token: "1:x", apiURL: server.baseURL)
        configuration.plainHTTP?.maxIdleConnections = 0
        let plain = BotClient(configuration: configuration)
        for _ in 0..<3 { _ = try await plain.send(methodName: "getMe", json: Data("{}".utf8)) }
        plain.shutdown()
        #expect(server.connections == 3)

        let curl = try #require(BotClient.Configuration.fromEnvironment(["TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_API_URL": server.baseURL,
                                                                        "TGCLUSTER_HTTP_CLIENT": "curl"]))
        #expect(curl.plainHTTP == nil)
        let viaCurl = BotClient(configuration: curl)
        for _ in 0..<3 { _ = try await viaCurl.send(methodName: "getMe", json: Data("{}".utf8)) }
        viaCurl.shutdown()
        #expect(server.connections == 4)
        try await server.shutdown()
    }
}
