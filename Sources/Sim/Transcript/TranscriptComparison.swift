import Foundation

/// Compares two transcripts of bot calls (`GET /sim/transcript`, or `tgcluster replay
/// --transcript` files) the way a golden test wants: per chat in order (chats interleave
/// differently from run to run, a chat's own calls do not), with the fields that change every
/// run (dates, message and file ids, times) left out.
public enum TranscriptComparison {
    /// Keys whose values differ between two runs of the same bot on the same updates.
    public static let volatileKeys: Set<String> = ["date", "edit_date", "message_id", "time", "file_id", "file_unique_id",
                                                   "update_id", "reply_to_message_id", "inline_message_id", "callback_query_id",
                                                   "inline_query_id", "error_code"]

    /// A call as compared: method, ok and params without the volatile keys, as canonical JSON.
    public static func normalize(_ call: [String: Any]) -> String {
        var kept: [String: Any] = ["method": call["method"] ?? "?"]
        if let ok = call["ok"] { kept["ok"] = ok }
        if let params = call["params"] { kept["params"] = strip(params) }
        let data = (try? JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func strip(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, v) in object where !volatileKeys.contains(k) { out[k] = strip(v) }
            return out
        }
        if let array = value as? [Any] { return array.map(strip) }
        return value
    }

    /// The chat a call belongs to (its `chat_id`), or "-" for calls without one.
    public static func chat(_ call: [String: Any]) -> String {
        guard let params = call["params"] as? [String: Any], let chat = params["chat_id"] else { return "-" }
        if let n = chat as? NSNumber { return n.stringValue }
        return "\(chat)"
    }

    /// A readable diff, one block per chat that differs; empty when the transcripts agree.
    public static func differences(expected: [[String: Any]], actual: [[String: Any]]) -> [String] {
        func group(_ calls: [[String: Any]]) -> [String: [String]] {
            var out: [String: [String]] = [:]
            for c in calls { out[chat(c), default: []].append(normalize(c)) }
            return out
        }
        let e = group(expected), a = group(actual)
        var lines: [String] = []
        for chat in Set(e.keys).union(a.keys).sorted() {
            let want = e[chat] ?? [], got = a[chat] ?? []
            guard want != got else { continue }
            let first = (0..<min(want.count, got.count)).first { want[$0] != got[$0] } ?? min(want.count, got.count)
            lines.append("chat \(chat): \(want.count) calls expected, \(got.count) made; first difference at call \(first + 1)")
            for i in max(0, first - 1)..<min(max(want.count, got.count), first + 3) {
                let w = i < want.count ? want[i] : nil, g = i < got.count ? got[i] : nil
                if w == g, let w { lines.append("    \(w)") } else {
                    if let w { lines.append("  - \(w)") }
                    if let g { lines.append("  + \(g)") }
                }
            }
        }
        return lines
    }

    /// Reads a JSONL transcript (one call object per line).
    public static func read(jsonl data: Data) throws -> [[String: Any]] {
        try data.split(separator: 10).compactMap { line in
            guard !line.isEmpty else { return nil }
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw TranscriptError("a transcript line is not a JSON object")
            }
            return object
        }
    }
}

public struct TranscriptError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
