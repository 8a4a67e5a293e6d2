import Foundation
import GRDB
import TGBot

/// The applied-updates table (`tgcluster_applied`) and the one place its SQL lives: what makes
/// a serial update change the shared state exactly once. An update is recorded in the same
/// transaction as its handler's writes, so after any crash it is either applied and recorded,
/// or neither; one found recorded is acknowledged without running again.
enum AppliedStore {
    /// Whether an update arriving now was applied already.
    enum Verdict: Equatable {
        /// Not applied: run its handler.
        case new
        /// Applied (the same bytes): acknowledge without running.
        case applied
        /// An id applied less than a day ago came again with other bytes: treated as the same
        /// update (Telegram keeps an update at most a day, so this is not a new one).
        case appliedWithOtherBytes
    }

    /// Telegram restarts update ids at a random value after a week without updates, so an id
    /// applied longer ago than this, with other bytes, is a new update.
    static let reuseAfter: TimeInterval = 86_400

    static func verdict(_ db: Database, updateID: Int64, digest: Int64, now: Date) throws -> Verdict {
        guard let row = try Row.fetchOne(db, sql: "SELECT digest, applied_at FROM tgcluster_applied WHERE update_id = ?", arguments: [updateID])
        else { return .new }
        if row["digest"] as Int64 == digest { return .applied }
        return now.timeIntervalSince1970 - (row["applied_at"] as Double) < reuseAfter ? .appliedWithOtherBytes : .new
    }

    /// Records the update as applied in commit group `group` (replacing a reused id's row).
    static func record(_ db: Database, updateID: Int64, digest: Int64, failed error: String?, now: Date, group: Int64) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO tgcluster_applied(update_id, digest, outcome, error, applied_at, commit_group)
            VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [updateID, digest, error == nil ? "ok" : "failed", error, now.timeIntervalSince1970, group])
    }

    /// The last commit group recorded (0 for a new store): groups are numbered on from it.
    static func lastGroup(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(commit_group) FROM tgcluster_applied") ?? 0
    }

    /// FNV-1a, 64 bits, of an update's bytes: tells a redelivery from a new update that reuses
    /// an old id.
    static func digest(_ bytes: Data) -> Int64 {
        Int64(bitPattern: FNV1a.hash(bytes))
    }
}
