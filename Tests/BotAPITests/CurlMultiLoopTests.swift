import Foundation
import TGClusterTesting
import Testing
@testable import BotAPI

/// The libcurl loop's per-URL table (parsed URLs, proxies read once) against a real server on
/// loopback, and libcurl's proxy rules as `CurlProxyEnvironment` reads them.
@Suite("CurlMultiLoop")
struct CurlMultiLoopTests {
    static func url(_ server: StubBotServer, _ method: String) -> String {
        server.baseURL + "/bot1:x/\(method)"
    }

    /// A request to a recurring URL (a method's), whose parsed form the loop keeps.
    static func call(_ server: StubBotServer, _ method: String) -> HTTPRequest {
        var request = HTTPRequest(url: url(server, method))
        request.recurringURL = true
        return request
    }

    /// One easy handle, reused, alternates between URLs: each request reaches its own path, the
    /// parsed handle of one URL never serves another.
    @Test func alternatingURLs_eachReachTheirOwnPath() async throws {
        let server = try await StubBotServer { _, _ in .ok("true") }
        let loop = CurlMultiLoop()
        let methods = ["getMe", "sendMessage", "getMe", "deleteMessage", "sendMessage", "getMe"]
        for method in methods {
            let r = try await loop.perform(Self.call(server, method))
            #expect(r.status == 200)
        }
        #expect(server.requests.map(\.botMethod) == methods)
        loop.shutdown()
        try await server.shutdown()
    }

    /// The server closes a kept-alive connection on the second request without answering:
    /// libcurl sends that request again on a new connection, and it goes to this request's URL
    /// (sendMessage), not to that of the handle's call before (getMe).
    @Test func aRequestRetriedOnANewConnection_goesToItsOwnURL() async throws {
        let server = try await StubBotServer { _, index in
            index == 1 ? StubBotServer.Response(drop: true) : .ok("true")
        }
        let loop = CurlMultiLoop()
        #expect(try await loop.perform(Self.call(server, "getMe")).status == 200)
        #expect(try await loop.perform(Self.call(server, "sendMessage")).status == 200)
        #expect(server.requests.map(\.botMethod) == ["getMe", "sendMessage", "sendMessage"])
        #expect(server.connections == 2)
        loop.shutdown()
        try await server.shutdown()
    }

    /// `http_proxy` from the loop's environment is used: the request for a host that does not
    /// resolve reaches the proxy (the stub server), in the absolute form a proxy is sent.
    @Test func theEnvironmentsProxy_isUsed() async throws {
        let proxy = try await StubBotServer { _, _ in .ok("true") }
        var configuration = CurlMultiLoop.Configuration()
        configuration.environment = ["http_proxy": proxy.baseURL, "HOME": "/root"]
        let loop = CurlMultiLoop(configuration: configuration)
        var request = HTTPRequest(url: "http://api.telegram.invalid/bot1:x/getMe")
        request.recurringURL = true
        let r = try await loop.perform(request)
        #expect(r.status == 200)
        #expect(proxy.requests.map(\.uri) == ["http://api.telegram.invalid/bot1:x/getMe"])
        loop.shutdown()
        try await proxy.shutdown()
    }

    /// A host in `no_proxy` is reached directly although a proxy (a closed port) is set.
    @Test func aHostInNoProxy_isReachedDirectly() async throws {
        let server = try await StubBotServer { _, _ in .ok("true") }
        var configuration = CurlMultiLoop.Configuration()
        configuration.environment = ["http_proxy": "http://127.0.0.1:1", "all_proxy": "http://127.0.0.1:1", "no_proxy": "127.0.0.1"]
        let loop = CurlMultiLoop(configuration: configuration)
        #expect(try await loop.perform(HTTPRequest(url: Self.url(server, "getMe"))).status == 200)
        #expect(server.requests.count == 1)
        loop.shutdown()
        try await server.shutdown()
    }

    /// libcurl's rules (7.88 `detect_proxy`): the scheme's lower-case variable, its upper-case
    /// form except `HTTP_PROXY`, then `all_proxy`, `ALL_PROXY`; "" for none; empty values unset.
    @Test func proxyRules_areLibcurls() {
        let env = CurlProxyEnvironment(["HTTP_PROXY": "http://cgi-header", "HTTPS_PROXY": "http://upper:3128",
                                        "ALL_PROXY": "socks5://all:1080", "no_proxy": "", "NO_PROXY": "internal"])
        #expect(env.proxy(forScheme: "http") == "socks5://all:1080")
        #expect(env.proxy(forScheme: "https") == "http://upper:3128")
        #expect(env.noProxy == "internal")
        let lower = CurlProxyEnvironment(["http_proxy": "http://a:1", "https_proxy": "http://b:2", "HTTPS_PROXY": "http://c:3",
                                          "all_proxy": "http://d:4", "ALL_PROXY": "http://e:5"])
        #expect(lower.proxy(forScheme: "http") == "http://a:1")
        #expect(lower.proxy(forScheme: "HTTPS") == "http://b:2")
        #expect(lower.proxy(forScheme: "ftp") == "http://d:4")
        #expect(lower.noProxy == "")
        #expect(CurlProxyEnvironment([:]).proxy(forScheme: "https") == "")
        #expect(CurlProxyEnvironment.scheme(of: "HTTPS://api.telegram.org/bot1/getMe") == "https")
        #expect(CurlProxyEnvironment.scheme(of: "localhost:8081/bot1/getMe") == "http")
    }

    /// Only recurring URLs are kept, and past its limit the table parses nothing more (a transfer
    /// in flight may point at any handle it holds, so none is evicted); a URL libcurl refuses is
    /// not parsed, the request fails with libcurl's own error.
    @Test func theTable_keepsRecurringURLs_isBounded_andARefusedURLFailsAsBefore() async throws {
        var table = CurlURLTable(proxies: CurlProxyEnvironment([:]))
        #expect(table.target(for: "http://127.0.0.1:9/file/bot1:x/photos/file_1.jpg", recurring: false).parsed == nil)
        #expect(table.count == 0, "a one-off URL (a file's download) is not kept")
        for i in 0..<(CurlURLTable.limit + 10) { _ = table.target(for: "http://127.0.0.1:9/bot1:x/m\(i)", recurring: true) }
        #expect(table.count == CurlURLTable.limit)
        #expect(table.target(for: "http://127.0.0.1:9/bot1:x/m0", recurring: true).parsed != nil)
        #expect(table.target(for: "http://127.0.0.1:9/bot1:x/beyond", recurring: true).parsed == nil)
        table.free()

        let loop = CurlMultiLoop()
        var refused = HTTPRequest(url: "http://[::1/bot1:x/getMe")
        refused.recurringURL = true
        await #expect(throws: CurlError.self) { try await loop.perform(refused) }
        loop.shutdown()
    }
}
