import Foundation
import NIOHTTP1

/// The tester's HTTP API under `/sim/` (documented in the README):
///
/// | request | does |
/// | --- | --- |
/// | `POST /sim/updates` | `{"updates":[...]}` or `{"generate":{...}}`: queue updates; answers their ids |
/// | `GET /sim/transcript[?since=N]` | the bot's calls, in arrival order |
/// | `GET /sim/stats` | counters |
/// | `POST /sim/reset` | forget everything but the configuration |
/// | `POST /sim/chats/<id>/block`, `.../unblock` | the chat has (not) blocked the bot |
/// | `GET /sim/chats/<id>/messages` | the chat's messages |
/// | `POST /sim/config` | change latency, jitter, flood mode, faults, webhook timing |
struct SimControlAPI {
    let emulator: Emulator

    struct Result {
        var status: Int
        var body: Data
    }

    func handle(method: HTTPMethod, path: Substring, query: Substring?, body: Data) -> Result {
        let parts = path.split(separator: "/")
        do {
            switch (method, parts.first.map(String.init) ?? "") {
            case (.POST, "updates"):
                let ids = try emulator.inject(body)
                return ok(#"{"ok":true,"update_ids":[\#(ids.map(String.init).joined(separator: ","))]}"#)
            case (.GET, "transcript"):
                let since = query.flatMap { q in
                    q.split(separator: "&").first { $0.hasPrefix("since=") }.flatMap { Int($0.dropFirst(6)) }
                } ?? 0
                return Result(status: 200, body: emulator.transcript(since: since))
            case (.GET, "stats"):
                return Result(status: 200, body: emulator.statsJSON())
            case (.POST, "reset"):
                emulator.reset()
                return ok(#"{"ok":true}"#)
            case (_, "chats") where parts.count == 3:
                guard let id = Int64(parts[1]) else { throw APIError.badRequest("chat id must be an integer") }
                switch (method, parts[2]) {
                case (.POST, "block"):
                    try emulator.setBlocked(chatID: id, true)
                    return ok(#"{"ok":true}"#)
                case (.POST, "unblock"):
                    try emulator.setBlocked(chatID: id, false)
                    return ok(#"{"ok":true}"#)
                case (.GET, "messages"):
                    return Result(status: 200, body: emulator.messagesJSON(chatID: id))
                default:
                    throw APIError.notFound
                }
            case (.POST, "config"):
                try configure(body)
                return ok(#"{"ok":true}"#)
            default:
                throw APIError.notFound
            }
        } catch let error as APIError {
            return Result(status: error.code, body: Data(error.json.utf8))
        } catch {
            return Result(status: 400, body: Data(APIError.badRequest("\(error)").json.utf8))
        }
    }

    private func ok(_ json: String) -> Result { Result(status: 200, body: Data(json.utf8)) }

    /// `{"latency_ms":50,"jitter_ms":5,"flood":"off","fault_5xx":0.1,"fault_drop":0,"fault_slow":0,
    /// "slow_delay_ms":2000,"webhook_timeout_ms":60000,"webhook_retry_base_ms":2000,
    /// "broken_updates":"truncated","broken_updates_count":3}`; any subset.
    private func configure(_ body: Data) throws {
        guard let o = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw APIError.badRequest("expected a JSON object")
        }
        func ms(_ key: String) -> Duration? { (o[key] as? NSNumber).map { .milliseconds($0.int64Value) } }
        func fraction(_ key: String) throws -> Double? {
            guard let v = (o[key] as? NSNumber)?.doubleValue else { return nil }
            guard (0...1).contains(v) else { throw APIError.badRequest("\(key) must be between 0 and 1") }
            return v
        }
        var flood: SimConfiguration.FloodMode?
        if let f = o["flood"] as? String {
            guard let mode = SimConfiguration.FloodMode(rawValue: f) else { throw APIError.badRequest("flood must be telegram or off") }
            flood = mode
        }
        let f5 = try fraction("fault_5xx"), fd = try fraction("fault_drop"), fs = try fraction("fault_slow")
        var broken: SimConfiguration.BrokenUpdates?
        if let b = o["broken_updates"] as? String {
            guard let kind = SimConfiguration.BrokenUpdates.Kind(rawValue: b) else { throw APIError.badRequest("broken_updates must be truncated or huge") }
            broken = .init(kind: kind, count: max(1, (o["broken_updates_count"] as? NSNumber)?.intValue ?? 1))
        }
        emulator.reconfigure { c in
            if let v = ms("latency_ms") { c.latency = v }
            if let v = ms("jitter_ms") { c.jitter = v }
            if let flood { c.flood = flood }
            if let f5 { c.fault5xx = f5 }
            if let fd { c.faultDrop = fd }
            if let fs { c.faultSlow = fs }
            if let v = ms("slow_delay_ms") { c.slowDelay = v }
            if let v = ms("webhook_timeout_ms") { c.webhookTimeout = v }
            if let v = ms("webhook_retry_base_ms") { c.webhookRetryBase = v }
            if let broken { c.brokenUpdates = broken }
        }
    }
}
