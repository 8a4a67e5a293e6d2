import Foundation
import TGClusterTesting
import Testing

/// A bot's calls compared with the transcript kept in `Golden/<name>.json`: each call's method
/// and parameters, with what changes from run to run (generated ids, UUIDs) replaced by a
/// placeholder. `TGCLUSTER_UPDATE_GOLDEN=1` writes the file from this run instead (then read
/// the diff before committing it).
struct GoldenTranscript {
    let name: String

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

    /// The calls as the golden file holds them: one JSON object per call, keys sorted.
    static func normalized(_ calls: [BotCall]) -> [String] {
        calls.map { call in
            var parameters = (try? JSONSerialization.jsonObject(with: call.parameters)) as? [String: Any] ?? [:]
            for key in ["callback_query_id", "inline_query_id", "message_id"] where parameters[key] != nil { parameters[key] = "<id>" }
            let object: [String: Any] = ["method": call.method, "ok": call.ok, "params": parameters]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self)
                .replacingOccurrences(of: #"[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"#, with: "<uuid>", options: .regularExpression)
        }
    }

    /// Checks `calls` against the golden file (or writes it, when asked to).
    func check(_ calls: [BotCall], sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = Self.folder.appendingPathComponent("\(name).json")
        let lines = Self.normalized(calls)
        if ProcessInfo.processInfo.environment["TGCLUSTER_UPDATE_GOLDEN"] == "1" {
            try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let golden = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == golden.count, "\(name): \(lines.count) calls, the golden transcript has \(golden.count)", sourceLocation: sourceLocation)
        for (i, (got, want)) in zip(lines, golden).enumerated() where got != want {
            Issue.record("\(name), call \(i + 1):\n  got  \(got)\n  want \(want)", sourceLocation: sourceLocation)
        }
    }
}
