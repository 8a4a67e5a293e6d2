import BotAPI
import Foundation
import Locking
import Synchronization

/// Delivers pending updates to the webhook as Telegram's server does: one queue per chat (or
/// user) with at most one update in flight each, up to `max_connections` requests at once,
/// the secret in `X-Telegram-Bot-Api-Secret-Token`, and on failure (non-2xx, timeout, refused)
/// a retry at once, then after 2, 4, 8 ... s up to 60 s (scaled by `webhookRetryBase`).
/// Updates stay pending until a 2xx. A method call in a 2xx answer's body is executed.
final class WebhookDelivery: Sendable {
    enum QueueID: Hashable, Sendable {
        case key(Int64)
        case update(Int64)
    }

    private struct Retry: Sendable {
        var attempts: Int
        var notBefore: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var inFlight = Set<QueueID>()
        var retries: [QueueID: Retry] = [:]
        var timerArmed = false
        var closed = false
    }

    private struct WeakEmulator: @unchecked Sendable {
        weak var value: Emulator?
    }

    private let owner = Mutex(WeakEmulator())
    private let state = Mutex(State())
    private let curl = Mutex<CurlMultiLoop?>(nil)

    var emulator: Emulator? {
        get { owner.locked { $0.value } }
        set { owner.locked { $0.value = newValue } }
    }

    func shutdown() {
        state.locked { $0.closed = true }
        curl.locked { loop in
            loop?.shutdown()
            loop = nil
        }
    }

    private func client() -> CurlMultiLoop {
        curl.locked { loop in
            if let loop { return loop }
            var config = CurlMultiLoop.Configuration()
            config.maxIdleConnections = 128
            let new = CurlMultiLoop(configuration: config)
            loop = new
            return new
        }
    }

    static func queue(of entry: UpdateQueue.Entry) -> QueueID {
        entry.key.map { .key($0.id) } ?? .update(entry.id)
    }

    /// Starts whatever can start now; called on every change (new updates, a finished
    /// delivery, a webhook set or deleted, a retry coming due).
    func pump() {
        guard let emulator else { return }
        let clock = ContinuousClock()
        var starts: [(UpdateQueue.Entry, QueueID, SimState.Webhook, Duration)] = []
        var wake: ContinuousClock.Instant?
        emulator.state.locked { s in
            guard let hook = s.webhook else { return }
            let timeout = s.configuration.webhookTimeout
            state.locked { d in
                guard !d.closed else { return }
                let now = clock.now
                var seen = Set<QueueID>()
                for entry in s.updates.entries {
                    if d.inFlight.count >= hook.maxConnections { break }
                    let q = Self.queue(of: entry)
                    guard seen.insert(q).inserted, !d.inFlight.contains(q) else { continue }
                    if let retry = d.retries[q], retry.notBefore > now {
                        wake = min(wake ?? retry.notBefore, retry.notBefore)
                        continue
                    }
                    d.inFlight.insert(q)
                    starts.append((entry, q, hook, timeout))
                }
                if wake != nil, d.timerArmed { wake = nil } else if wake != nil { d.timerArmed = true }
            }
        }
        if let wake {
            Task { [weak self] in
                try? await Task.sleep(until: wake, clock: .continuous)
                self?.state.locked { $0.timerArmed = false }
                self?.pump()
            }
        }
        guard !starts.isEmpty else { return }
        let loop = client()
        for (entry, q, hook, timeout) in starts {
            Task { [weak self] in
                await self?.deliver(entry, queue: q, hook: hook, timeout: timeout, with: loop)
            }
        }
    }

    private func deliver(_ entry: UpdateQueue.Entry, queue q: QueueID, hook: SimState.Webhook,
                         timeout: Duration, with loop: CurlMultiLoop) async {
        var headers: [(String, String)] = []
        if let secret = hook.secret { headers.append(("X-Telegram-Bot-Api-Secret-Token", secret)) }
        let request = HTTPRequest(url: hook.url, body: .bytes(entry.bytes, contentType: "application/json"),
                                  headers: headers, connectTimeout: .seconds(10), totalTimeout: timeout)
        var failure: String?
        var response: HTTPResponse?
        do {
            let r = try await loop.perform(request)
            response = r
            if !(200..<300).contains(r.status) {
                failure = "Wrong response from the webhook: \(r.status) \(Self.reason(r.status))"
            }
        } catch let error as CurlError {
            failure = error.isTimeout ? "Read timeout expired" : Self.connectionError(error)
        } catch {
            failure = "Connection failed"
        }
        guard let emulator else { return }
        let base = emulator.state.locked { s -> Duration in
            s.stats.webhookRequests += 1
            if let failure {
                s.stats.webhookFailures += 1
                s.lastWebhookError = (SimState.now, failure)
            } else {
                s.updates.remove(id: entry.id)
                s.stats.updatesDelivered += 1
            }
            return s.configuration.webhookRetryBase
        }
        let now = ContinuousClock.now
        state.locked { d in
            d.inFlight.remove(q)
            if failure == nil {
                d.retries[q] = nil
            } else {
                let attempts = (d.retries[q]?.attempts ?? 0) + 1
                // First retry at once, then base, 2×base, ... up to 30×base (2 s → 60 s).
                let wait = attempts == 1 ? Duration.zero : min(base * (1 << min(attempts - 2, 10)), base * 30)
                d.retries[q] = Retry(attempts: attempts, notBefore: now + wait)
            }
        }
        if failure == nil, let response { runReplyMethod(response, token: hook.token, emulator: emulator) }
        pump()
    }

    /// Telegram's shortcut: a 2xx answer may carry one method call, which is run and whose
    /// result nobody sees. `get*` methods and webhook/session methods are ignored, as there.
    private func runReplyMethod(_ response: HTTPResponse, token: String, emulator: Emulator) {
        guard !response.body.isEmpty,
              var params = try? BotParams.parse(query: nil, contentType: response.contentType ?? "application/json", body: response.body),
              let method = params.string("method") else { return }
        let lower = method.lowercased()
        if lower.hasPrefix("get") || ["setwebhook", "deletewebhook", "close", "logout"].contains(lower) { return }
        params = BotParams(params.order.filter { $0 != "method" }.compactMap { k in params[k].map { (k, $0) } })
        _ = emulator.execute(method: method, token: token, params: params)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 413: return "Request Entity Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Error"
        }
    }

    static func connectionError(_ error: CurlError) -> String {
        switch error.code {
        case 7: return "Connection refused"
        case 6: return "Failed to resolve host: Name or service not known"
        case 52: return "Connection closed"
        default: return "Connection error: \(error.message)"
        }
    }
}
