import Foundation
import Logging

/// Calls the Bot API: one `async` function per method of the spec (generated), over one
/// libcurl multi handle shared by every call of the client, with retries.
///
/// Create one per process and share it; `shutdown()` when done. Many calls may be in flight at
/// once; connections to the API are kept alive and reused.
public final class BotClient: Sendable {
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The bot token (`TELEGRAM_BOT_TOKEN`). Never logged.
        public var token: String
        /// The API base (`TELEGRAM_API_URL`); methods are called at `<apiURL>/bot<token>/<method>`.
        public var apiURL: String
        /// Time to open a connection (TCP and TLS).
        public var connectTimeout: Duration = .seconds(10)
        /// Time for a whole call, except `getUpdates`, which gets its long-poll time plus `longPollMargin`.
        public var requestTimeout: Duration = .seconds(30)
        /// Added to `getUpdates`' `timeout` for the transfer's deadline: a poll that has not answered
        /// by then is hung, and is abandoned and repeated.
        public var longPollMargin: Duration = .seconds(10)
        public var retry: RetryPolicy = .init()
        /// Paces calls that post a message (Telegram's flood limits); nil sends at once and
        /// relies on retrying 429 after `retry_after`.
        public var limiter: (any FloodLimiting)?
        public var curl: CurlMultiLoop.Configuration = .init()
        /// The lean client for plain HTTP at an IP address (a local Bot API server, the sim):
        /// `PlainHTTPLoop`. nil sends everything through libcurl (`TGCLUSTER_HTTP_CLIENT=curl`).
        public var plainHTTP: PlainHTTPLoop.Configuration? = .init()

        public static let defaultAPIURL = "https://api.telegram.org"

        public init(token: String, apiURL: String = Configuration.defaultAPIURL) {
            self.token = token
            self.apiURL = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        }

        /// `TELEGRAM_BOT_TOKEN` and `TELEGRAM_API_URL` from `environment`; nil without a token.
        public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Configuration? {
            guard let token = environment["TELEGRAM_BOT_TOKEN"], !token.isEmpty else { return nil }
            let url = environment["TELEGRAM_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultAPIURL
            var configuration = Configuration(token: token, apiURL: url)
            if environment["TGCLUSTER_HTTP_CLIENT"] == "curl" { configuration.plainHTTP = nil }
            return configuration
        }

        public var description: String { "BotClient.Configuration(apiURL: \(apiURL), token: \(Redactor.placeholder))" }
    }

    public let configuration: Configuration
    public let redactor: Redactor
    /// Calls by method and outcome, retries, flood-limit waits: for the cluster's metrics.
    public let statistics = BotClientStatistics()
    private let loop: CurlMultiLoop
    /// Takes the requests it can send (`PlainHTTPLoop.accepts`: plain HTTP to the API URL, when
    /// that is an IP address); libcurl the rest.
    private let plain: PlainHTTPLoop?
    /// The API URL's origin, split once; nil when the plain client does not send there.
    private let plainTarget: PlainHTTPTarget?
    private let logger: Logger
    /// `<apiURL>/bot<token>/`, joined once: a method's URL is then one concatenation per call.
    private let methodURLPrefix: String

    public init(configuration: Configuration, logger: Logger = Logger(label: "tgcluster.botapi")) {
        self.configuration = configuration
        methodURLPrefix = "\(configuration.apiURL)/bot\(configuration.token)/"
        self.redactor = Redactor(secret: configuration.token)
        self.loop = CurlMultiLoop(configuration: configuration.curl)
        plainTarget = configuration.plainHTTP == nil ? nil : PlainHTTPTarget(url: configuration.apiURL)
        plain = plainTarget == nil ? nil : configuration.plainHTTP.map { PlainHTTPLoop(configuration: $0) }
        self.logger = logger
    }

    /// Lends the plain-HTTP loop to another thread's event loop (`PlainHTTPLoop.lend()`); nil
    /// when this client has none (HTTPS, a host name: libcurl's) or it is lent already.
    public func lendPlainHTTPLoop() -> PlainHTTPLoop.Lease? {
        plain?.lend()
    }

    /// Stops the client's threads (libcurl's, the plain-HTTP loop's); calls still in flight
    /// fail. Call once, when done.
    public func shutdown() {
        plain?.shutdown()
        loop.shutdown()
    }

    /// Calls `method` and decodes its `result`.
    public func call<M: BotMethod>(_ method: M) async throws -> M.Result {
        let response = try await send(method)
        do {
            let envelope = try JSONDecoder().decode(ResultEnvelope<M.Result>.self, from: response.body)
            guard let result = envelope.result else {
                throw BotAPIError(kind: .invalidResponse, method: M.name, errorCode: response.status,
                                  message: "response has ok: true but no result")
            }
            return result
        } catch let error as BotAPIError {
            throw error
        } catch {
            throw BotAPIError(kind: .invalidResponse, method: M.name, errorCode: response.status,
                              message: redactor("cannot decode result: \(error)"))
        }
    }

    /// Calls `method` and returns the successful response's raw body, undecoded: what ingest
    /// hands to `UpdateScanner` so that updates travel as the bytes Telegram sent.
    public func callRaw<M: BotMethod>(_ method: M) async throws -> Data {
        try await send(method).body
    }

    /// Sends `method` until it succeeds, fails for good, or runs out of attempts; returns the
    /// 2xx response. Every error thrown is a token-free `BotAPIError` (or `CancellationError`).
    public func send<M: BotMethod>(_ method: M) async throws -> HTTPResponse {
        let request: HTTPRequest
        do {
            request = try makeRequest(method)
        } catch {
            throw BotAPIError(kind: .encoding, method: M.name, message: redactor("\(error)"))
        }
        return try await send(request, method: M.name)
    }

    /// Calls a method by name with a JSON body written by the caller: the hot path of replies,
    /// which skips `JSONEncoder` for parameters a few string concatenations can write.
    public func send(methodName: String, json: Data) async throws -> HTTPResponse {
        var request = HTTPRequest(url: url(methodName), body: .bytes(json, contentType: "application/json"),
                                  connectTimeout: configuration.connectTimeout, totalTimeout: configuration.requestTimeout)
        request.recurringURL = true
        return try await send(request, method: methodName)
    }

    /// Downloads a file by its `file_path` (from `getFile`): `<apiURL>/file/bot<token>/<path>`.
    public func download(filePath: String) async throws -> Data {
        let request = HTTPRequest(url: "\(configuration.apiURL)/file/bot\(configuration.token)/\(filePath)",
                                  connectTimeout: configuration.connectTimeout, totalTimeout: configuration.requestTimeout)
        return try await send(request, method: "file download").body
    }

    /// Calls a method by name with no parameters, on a new connection if `freshConnection`:
    /// what `tgcluster probe` measures.
    public func send(methodName: String, freshConnection: Bool = false) async throws -> HTTPResponse {
        var request = HTTPRequest(url: url(methodName), connectTimeout: configuration.connectTimeout,
                                  totalTimeout: configuration.requestTimeout)
        request.freshConnection = freshConnection
        request.recurringURL = true
        return try await send(request, method: methodName)
    }

    /// Inlined into its callers, as are `attempt`, `perform` and `PlainHTTPLoop.perform`: each
    /// nonisolated async function on a reply's path hops to its executor at its start and after
    /// each call it awaits (`swift_task_switch`), and in a worker whose jobs prefer its event loop
    /// every hop reads that preference under the task's status lock. Inlined, the hops between
    /// them go: a worker 56.2k → 53.7k instructions per update (`scripts/bench instructions`).
    @inline(__always)
    private func send(_ request: HTTPRequest, method: String) async throws -> HTTPResponse {
        do {
            let response = try await attempt(request, method: method)
            statistics.finished(method, outcome: "ok")
            return response
        } catch let error as BotAPIError {
            statistics.finished(method, outcome: BotClientStatistics.outcome(error))
            throw error
        }
    }

    /// Sends `request` until it succeeds, fails for good, or runs out of attempts. What is
    /// decided after a failure lives in the synchronous functions below, not here: an async
    /// function's frame holds what any of its paths keeps across an await, and every reply
    /// passes through this one (its frame was 2 KiB, two of the task allocator's ~1 KiB slabs,
    /// each a malloc; issue 13).
    @inline(__always)
    private func attempt(_ request: HTTPRequest, method: String) async throws -> HTTPResponse {
        let target = configuration.limiter == nil ? nil : FloodTarget.of(method: method, body: request.body)
        var attempt = 0
        while true {
            attempt += 1
            let wait: Duration
            do {
                if let target { try await admit(target) }
                let response = try await perform(request)
                if (200..<300).contains(response.status) { return response }
                wait = try retryWait(refused: apiError(method, response, attempt: attempt), attempt: attempt, target: target)
            } catch let error as CurlError {
                wait = try retryWait(failed: error, method: method, attempt: attempt)
            }
            try await Task.sleep(for: wait)
        }
    }

    /// One transfer, by the client that sends it.
    @inline(__always)
    private func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        if let plain, let plainTarget, PlainHTTPLoop.accepts(request, at: plainTarget) {
            return try await plain.perform(request, to: plainTarget)
        }
        return try await loop.perform(request)
    }

    /// Waits for the flood limiter to admit a call to `target` (a wait over 1 ms is counted).
    @inline(never)
    private func admit(_ target: FloodTarget) async throws {
        guard let limiter = configuration.limiter else { return }
        let start = ContinuousClock.now
        try await limiter.admit(target)
        let waited = ContinuousClock.now - start
        if waited > .milliseconds(1) {
            statistics.waited(waited.seconds)
        }
    }

    /// After an answer outside 2xx: the wait before the next attempt, or `failure` thrown if
    /// it is final. A 429 is the flood limits at work: the limiter learns from it, and a
    /// `retry_after` beyond the policy's bound ends the call.
    private func retryWait(refused failure: BotAPIError, attempt: Int, target: FloodTarget?) throws -> Duration {
        var wait = configuration.retry.backoff(afterAttempt: attempt)
        if failure.errorCode == 429 {
            statistics.refused()
            wait = .seconds(failure.retryAfter ?? 1)
            if let limiter = configuration.limiter, let target { limiter.penalize(target, retryAfter: wait) }
            if wait > configuration.retry.maxRetryAfter { throw failure }
        }
        try retrying(failure, attempt: attempt, after: wait)
        return wait
    }

    /// After a transfer that failed (network, timeout): the wait before the next attempt, or
    /// the error thrown if it is final.
    private func retryWait(failed error: CurlError, method: String, attempt: Int) throws -> Duration {
        let failure = BotAPIError(kind: error.isTimeout ? .timeout : .network, method: method,
                                  message: redactor(error.description), attempts: attempt)
        if !error.isTransient { throw failure }
        let wait = configuration.retry.backoff(afterAttempt: attempt)
        try retrying(failure, attempt: attempt, after: wait)
        return wait
    }

    /// Throws `failure` unless it is transient and attempts remain; else logs the retry.
    private func retrying(_ failure: BotAPIError, attempt: Int, after wait: Duration) throws {
        guard failure.isTransient, attempt < configuration.retry.maxAttempts else { throw failure }
        // A 429 is the flood limits at work (the limiter learns from it); a network error or
        // a 5xx may mean the call reached Telegram and is now sent twice: the operator's to see.
        logger.log(level: failure.errorCode == 429 ? .debug : .notice, "retrying Bot API call", metadata: [
            "method": "\(failure.method)", "attempt": "\(attempt)", "error": "\(failure.message)",
            "wait_ms": "\(wait.milliseconds)",
        ])
        statistics.retried()
    }

    private func url(_ method: String) -> String {
        methodURLPrefix + method
    }

    private func apiError(_ method: String, _ response: HTTPResponse, attempt: Int) -> BotAPIError {
        if let envelope = try? JSONDecoder().decode(ResultEnvelope<JSONValue>.self, from: response.body), !envelope.ok {
            return BotAPIError(kind: .api, method: method, errorCode: envelope.errorCode ?? response.status,
                               message: redactor(envelope.description ?? "HTTP \(response.status)"),
                               retryAfter: envelope.parameters?.retryAfter ?? response.retryAfter,
                               migrateToChatID: envelope.parameters?.migrateToChatID.map(Int64.init),
                               attempts: attempt)
        }
        // Telegram's front end answers some 5xx with an HTML page, not JSON.
        return BotAPIError(kind: .invalidResponse, method: method, errorCode: response.status,
                           message: "HTTP \(response.status) with a body that is not Bot API JSON",
                           retryAfter: response.retryAfter, attempts: attempt)
    }

    func makeRequest<M: BotMethod>(_ method: M) throws -> HTTPRequest {
        var timeout = configuration.requestTimeout
        if let poll = method.longPollSeconds {
            timeout = .seconds(max(poll, 0)) + configuration.longPollMargin
        }
        let body = try RequestEncoder.encode(method)
        var request = HTTPRequest(url: url(M.name), body: body, connectTimeout: configuration.connectTimeout, totalTimeout: timeout)
        request.recurringURL = true
        return request
    }
}

/// `{ok, result, error_code, description, parameters}`, every Bot API response.
struct ResultEnvelope<R: Decodable>: Decodable {
    var ok: Bool
    var result: R?
    var errorCode: Int?
    var description: String?
    var parameters: ResponseParameters?

    enum CodingKeys: String, CodingKey {
        case ok, result, description, parameters
        case errorCode = "error_code"
    }
}

extension BotMethod {
    /// The long-poll time the server may hold this call for; nil for ordinary calls.
    public var longPollSeconds: Int? { nil }
}

extension BotMethods.GetUpdates {
    public var longPollSeconds: Int? { timeout ?? 0 }
}
