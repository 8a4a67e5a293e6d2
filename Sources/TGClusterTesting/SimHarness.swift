import BotAPI
import Foundation
import Sim

/// A `tgcluster sim` inside the test process on a free port, with a client for the bot's side
/// and helpers for the tester's side (`/sim/...`).
///
/// ```swift
/// let sim = try await SimHarness.start()
/// try await sim.inject(text: "hello", chatID: 42)
/// // … run the bot against sim.baseURL with sim.token …
/// let calls = try await sim.transcript()
/// #expect(calls.contains { $0["method"] as? String == "sendMessage" })
/// try await sim.shutdown()
/// ```
public final class SimHarness: Sendable {
    public let server: SimServer
    public let token: String
    private let http: CurlMultiLoop

    public var baseURL: String { server.baseURL }
    public var emulator: Emulator { server.emulator }
    /// The control API (`/sim/...`) over HTTP, as another process would speak it.
    public var control: SimControlClient { SimControlClient(baseURL: baseURL, http: http, timeout: Self.requestTimeout) }

    /// One request to the emulator: it answers in milliseconds, so this only says "stuck".
    private static var requestTimeout: Duration { TestBounds.notStuck(.seconds(60)) }

    private init(server: SimServer, token: String) {
        self.server = server
        self.token = token
        self.http = CurlMultiLoop()
    }

    /// Starts a sim on 127.0.0.1 with a free port; flood limits are off unless `configure` says.
    public static func start(token: String = "123456789:TEST-token_0123456789",
                             configure: (inout SimConfiguration) -> Void = { _ in }) async throws -> SimHarness {
        var configuration = SimConfiguration()
        configuration.port = 0
        configuration.flood = .off
        configure(&configuration)
        PoolWatch.start()
        return SimHarness(server: try await SimServer(configuration: configuration, threads: 2), token: token)
    }

    public func shutdown() async throws {
        http.shutdown()
        try await server.shutdown()
    }

    /// A client for the bot's side of this sim.
    public func client(retry: RetryPolicy = .none, token: String? = nil) -> BotClient {
        var configuration = BotClient.Configuration(token: token ?? self.token, apiURL: baseURL)
        configuration.retry = retry
        return BotClient(configuration: configuration)
    }

    // MARK: - Raw HTTP

    public struct Response: Sendable {
        public var status: Int
        public var body: Data
        public var retryAfter: Int?
        public var contentType: String?

        public var text: String { String(decoding: body, as: UTF8.self) }
        public var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    /// GET `path` (with its query), or POST `body` with `contentType`.
    public func request(_ path: String, body: Data? = nil, contentType: String = "application/json",
                        headers: [(String, String)] = []) async throws -> Response {
        let req = HTTPRequest(url: baseURL + path, body: body.map { .bytes($0, contentType: contentType) } ?? .none,
                              headers: headers, totalTimeout: Self.requestTimeout)
        let r = try await http.perform(req)
        return Response(status: r.status, body: r.body, retryAfter: r.retryAfter, contentType: r.contentType)
    }

    /// POSTs multipart fields.
    public func multipart(_ path: String, fields: [HTTPRequest.MultipartField]) async throws -> Response {
        let r = try await http.perform(HTTPRequest(url: baseURL + path, body: .multipart(fields)))
        return Response(status: r.status, body: r.body, retryAfter: r.retryAfter, contentType: r.contentType)
    }

    /// Calls a Bot API method with a JSON body, as this sim's bot.
    public func call(_ method: String, _ params: [String: Any] = [:]) async throws -> Response {
        try await request("/bot\(token)/\(method)", body: try JSONSerialization.data(withJSONObject: params))
    }

    // MARK: - Control API

    /// Queues updates (objects as Telegram sends them; `update_id` assigned where missing).
    @discardableResult
    public func inject(_ updates: [[String: Any]]) async throws -> [Int64] {
        try await control.inject(updates)
    }

    /// Queues `count` generated updates of `kind` from `chats` private chats, round robin.
    @discardableResult
    public func generate(_ count: Int, chats: Int, kind: String = "text", firstChatID: Int64 = 100_000) async throws -> [Int64] {
        try await control.generate(["messages": count, "chats": chats, "kind": kind, "first_chat_id": firstChatID])
    }

    /// A private text message from user `chatID`.
    @discardableResult
    public func inject(text: String, chatID: Int64) async throws -> Int64 {
        var factory = UpdateFactory(seed: UInt64(bitPattern: chatID))
        factory.date = Int(Date().timeIntervalSince1970)
        var update = factory.textMessageUpdate(chatID: chatID, text: text)
        update["update_id"] = nil
        return try await inject([update])[0]
    }

    /// The bot's calls so far, oldest first: `method`, `params`, `time`, `ok`.
    public func transcript() async throws -> [[String: Any]] {
        try await control.transcript()
    }

    public func stats() async throws -> [String: Any] {
        try await control.stats()
    }
}
