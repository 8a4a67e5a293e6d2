import Foundation

/// One line of `<data-dir>/dead-letter.jsonl`: something tgcluster gave up on, with why.
/// Written by the broker (a job whose worker died each time) and by webhook ingest (a request
/// body that is not an update); read by operators and tests with `DeadLetterEntry.read`.
package struct DeadLetterEntry: Codable, Sendable, Equatable {
    /// Unix seconds.
    package var time: Double
    package var reason: String
    /// `webhook` for a refused request body; absent for the broker's.
    package var source: String?
    package var attempts: Int?
    package var updateID: Int64?
    /// The update's kind (`message`, ...).
    package var kind: String?
    /// The update as Telegram sent it.
    package var update: String?
    /// A named job's name, or the outbox action (`call sendMessage`, `fire <callback>`).
    package var job: String?
    package var outboxID: UInt64?
    /// A refused webhook body (at most 64 KiB of it).
    package var body: String?

    enum CodingKeys: String, CodingKey {
        case time, reason, source, attempts, kind, update, job, body
        case updateID = "update_id"
        case outboxID = "outbox_id"
    }

    package init(time: Double = Date().timeIntervalSince1970, reason: String) {
        self.time = time
        self.reason = reason
    }

    /// Appends the entry as one JSON line (the file is created 0600: it holds users' messages).
    func append(to url: URL) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let line = try? encoder.encode(self) else { return }
        let fd = open(url.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = line + Data([10])
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// Every entry of a dead-letter file, in order; lines that do not parse are skipped.
    package static func read(_ url: URL) throws -> [DeadLetterEntry] {
        let decoder = JSONDecoder()
        return try Data(contentsOf: url).split(separator: 10).compactMap { try? decoder.decode(DeadLetterEntry.self, from: Data($0)) }
    }
}
