import Foundation

/// One Bot API call a bot made, as the emulator recorded it: what a test asserts on.
///
/// ```swift
/// let calls = try await tester.send("/start", chat: 42)
/// #expect(calls.map(\.method) == ["sendMessage"])
/// #expect(calls[0].text == "Hi!")
/// ```
public struct BotCall: Sendable, Equatable, CustomStringConvertible {
    /// The method as the spec spells it (`sendMessage`).
    public var method: String
    /// Whether the emulator answered it with `ok: true`.
    public var ok: Bool
    /// The parameters, as a JSON object.
    public var parameters: Data
    /// The emulator's error text for a failed call (`Bad Request: message can't be edited`).
    public var error: String?
    /// The caller's address as the emulator saw it (which host made the call); nil from
    /// in-process testers.
    public var from: String?
    /// When the emulator took the call, by its clock: how far apart two replies came, measured
    /// where they arrived rather than by a test's task. nil from in-process testers.
    public var time: Date?

    public init(method: String, ok: Bool, parameters: Data, error: String? = nil, from: String? = nil, time: Date? = nil) {
        self.method = method
        self.ok = ok
        self.parameters = parameters
        self.error = error
        self.from = from
        self.time = time
    }

    /// Reads one transcript entry (`method`, `params`, `ok`); nil for anything else.
    public init?(transcriptEntry entry: [String: Any]) {
        guard let method = entry["method"] as? String else { return nil }
        self.method = method
        ok = entry["ok"] as? Bool ?? false
        error = entry["description"] as? String
        from = entry["from"] as? String
        time = (entry["time"] as? Double).map(Date.init(timeIntervalSince1970:))
        parameters = (try? JSONSerialization.data(withJSONObject: entry["params"] ?? [String: Any](), options: [.sortedKeys])) ?? Data("{}".utf8)
    }

    private var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: parameters)) as? [String: Any] ?? [:]
    }

    /// A parameter as text (numbers are written out).
    public func string(_ name: String) -> String? {
        switch object[name] {
        case let s as String: return s
        case let n as NSNumber: return n.stringValue
        default: return nil
        }
    }

    /// A parameter as an integer (a numeric string counts, as the Bot API takes both).
    public func int(_ name: String) -> Int64? {
        switch object[name] {
        case let n as NSNumber: return n.int64Value
        case let s as String: return Int64(s)
        default: return nil
        }
    }

    /// `text` of a message sent or edited.
    public var text: String? { string("text") }
    /// `chat_id` of the call.
    public var chatID: Int64? { int("chat_id") }

    public var description: String {
        "\(method)\(ok ? "" : " (failed: \(error ?? "?"))") \(String(decoding: parameters, as: UTF8.self))"
    }
}
