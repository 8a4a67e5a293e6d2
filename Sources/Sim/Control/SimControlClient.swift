import BotAPI
import Foundation

/// The tester's side of an emulator over HTTP (`/sim/...`, see `SimControlAPI`), for whoever
/// does not hold the emulator in its own process: `SimHarness`, `tgcluster replay`, the
/// benchmarks. One client, so that the control API is spoken in one place.
public struct SimControlClient: Sendable {
    /// The emulator's root, e.g. `http://127.0.0.1:8081`.
    public let baseURL: String
    private let http: CurlMultiLoop
    /// How long one request may take before it fails: the emulator answers in milliseconds, so
    /// this says "stuck" (a test harness under a sanitizer lengthens it).
    public var timeout: Duration

    public init(baseURL: String, http: CurlMultiLoop, timeout: Duration = .seconds(60)) {
        self.baseURL = baseURL
        self.http = http
        self.timeout = timeout
    }

    /// The emulator refused a control request (or is not one).
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var status: Int
        public var body: String
        public var description: String { "\(path): the emulator answered \(status): \(body)" }
    }

    /// Queues updates (objects as Telegram sends them; `update_id` assigned where missing);
    /// their ids.
    @discardableResult
    public func inject(_ updates: [Any]) async throws -> [Int64] {
        try await queue(["updates": updates])
    }

    /// Queues generated updates: `messages`, `chats`, `kind`, `seed`, `first_chat_id`.
    @discardableResult
    public func generate(_ spec: [String: Any]) async throws -> [Int64] {
        try await queue(["generate": spec])
    }

    /// The bot's calls from the `since`-th on, oldest first: `method`, `params`, `time`, `ok`.
    public func transcript(since: Int = 0) async throws -> [[String: Any]] {
        try await object("/sim/transcript" + (since > 0 ? "?since=\(since)" : ""))["calls"] as? [[String: Any]] ?? []
    }

    /// The counters (`updates_pending`, `messages_sent`, `by_method`, `by_status`, ...).
    public func stats() async throws -> [String: Any] {
        try await object("/sim/stats")
    }

    /// Updates queued and not yet delivered to the bot.
    public func pending() async throws -> Int {
        try await stats()["updates_pending"] as? Int ?? 0
    }

    /// How many times the bot called `method`.
    public func calls(of method: String) async throws -> Int {
        (try await stats()["by_method"] as? [String: Int])?[method] ?? 0
    }

    private func queue(_ body: [String: Any]) async throws -> [Int64] {
        let answer = try await object("/sim/updates", body: try JSONSerialization.data(withJSONObject: body))
        return (answer["update_ids"] as? [NSNumber] ?? []).map(\.int64Value)
    }

    private func object(_ path: String, body: Data? = nil) async throws -> [String: Any] {
        let request = HTTPRequest(url: baseURL + path, body: body.map { .bytes($0, contentType: "application/json") } ?? .none,
                                  totalTimeout: timeout)
        let r = try await http.perform(request)
        guard r.status == 200, let o = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] else {
            throw Failure(path: path, status: r.status, body: String(decoding: r.body.prefix(2000), as: UTF8.self))
        }
        return o
    }
}
