import BotAPI
import Foundation

/// The journal as a capture: every update the broker accepted, with its receive time, for
/// `tgcluster capture export` (and replay). Reads the segments (and `archive/`) without
/// writing; a damaged record is skipped as on recovery.
package enum Capture {
    package struct Entry: Sendable {
        package var receivedAt: Double
        package var updateID: Int64
        package var kind: String
        /// The update's JSON as Telegram sent it.
        package var update: Data
    }

    /// The captured updates in journal order, once each, filtered by time and kind.
    package static func entries(dataDir: String, since: Double? = nil, until: Double? = nil, kinds: Set<String>? = nil) throws -> [Entry] {
        let journal = URL(fileURLWithPath: dataDir).appendingPathComponent("journal")
        let fm = FileManager.default
        guard fm.fileExists(atPath: journal.path) else { throw JournalError("no journal at \(journal.path)") }
        var files: [URL] = []
        for dir in [journal.appendingPathComponent("archive"), journal] {
            let names = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix("segment-") && $0.hasSuffix(".log") }
            files += names.map { dir.appendingPathComponent($0) }
        }
        files.sort { $0.lastPathComponent < $1.lastPathComponent }
        var seen = Set<Int64>()
        var out: [Entry] = []
        for file in files {
            for record in JournalReader.read(try Data(contentsOf: file)).records {
                guard case .accepted(let e, let time) = record, seen.insert(e.updateID).inserted else { continue }
                if let since, time < since { continue }
                if let until, time > until { continue }
                if let kinds, !kinds.contains(e.kind.rawValue) { continue }
                out.append(Entry(receivedAt: time, updateID: e.updateID, kind: e.kind.rawValue, update: e.bytes))
            }
        }
        return out
    }

    /// One line of `updates.jsonl`: `{"received_at":…,"update":{…}}`.
    package static func line(_ entry: Entry, redact: Bool) throws -> Data {
        var update = try JSONSerialization.jsonObject(with: entry.update)
        if redact { update = Redaction.apply(update) }
        return try JSONSerialization.data(withJSONObject: ["received_at": entry.receivedAt, "update": update],
                                          options: [.sortedKeys, .withoutEscapingSlashes])
    }
}

/// Replaces what identifies people in an update (names, usernames, texts, captions, phone
/// numbers) with stable fake values: the same input gives the same output, so a redacted
/// capture still shows who talked to whom, and a command keeps its command.
package enum Redaction {
    static let names: Set<String> = ["first_name", "last_name", "title"]
    static let handles: Set<String> = ["username"]
    static let texts: Set<String> = ["text", "caption", "query", "phone_number", "bio", "description", "address"]

    package static func apply(_ value: Any) -> Any {
        if let object = value as? [String: Any] {
            var out: [String: Any] = [:]
            for (k, v) in object {
                if let s = v as? String {
                    if names.contains(k) { out[k] = "Name \(tag(s))"; continue }
                    if handles.contains(k) { out[k] = "user_\(tag(s))"; continue }
                    if texts.contains(k) { out[k] = redactText(s); continue }
                }
                out[k] = apply(v)
            }
            // Entities point into the text, which changed length.
            if out["text"] != nil { out["entities"] = nil }
            if out["caption"] != nil { out["caption_entities"] = nil }
            return out
        }
        if let array = value as? [Any] { return array.map(apply) }
        return value
    }

    /// A command keeps its name (`/transaction …` → `/transaction text_ab12cd`); other text goes.
    static func redactText(_ s: String) -> String {
        if s.hasPrefix("/"), let command = s.split(separator: " ").first {
            return s.contains(" ") ? "\(command) text_\(tag(s))" : String(command)
        }
        return "text_\(tag(s))"
    }

    static func tag(_ s: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(h >> 40, radix: 16)
    }
}
