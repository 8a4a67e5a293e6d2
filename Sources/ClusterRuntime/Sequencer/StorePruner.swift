import Foundation
import GRDB

/// Keeps the sequencer's own tables from growing without end (issue 13, item 4: cost flat as
/// the work grows): every serial update leaves a row in `tgcluster_applied`, every outbox job
/// one in `tgcluster_outbox`, every timer run one in `tgcluster_firing`. Rows older than
/// `retention` that no guarantee needs any more are deleted, at most `limit` per table each
/// time, so that a store that grew under an older build is trimmed over several commits rather
/// than in one long one.
///
/// Why each may go after a week:
/// - an applied update's row tells a redelivery from a new update; Telegram keeps an update at
///   most a day, and the broker completes or re-sends its own within seconds of a restart;
/// - a finished outbox row is read back only by `ctx.outboxJob(key)` (after a week it answers
///   "no such job"); pending rows are never deleted;
/// - a timer's run record stops a run from firing twice; a run a week old is long past;
/// - a scheduled job that will not run again (`next_run` NULL) is only history.
enum StorePruner {
    static let retention: TimeInterval = 7 * 86_400
    static let limit = 20_000
    /// How often a commit also prunes (the first commit after a start does).
    static let interval: TimeInterval = 600

    struct Pruned: Equatable {
        var applied = 0, outbox = 0, firings = 0, schedules = 0
        var total: Int { applied + outbox + firings + schedules }
    }

    /// Deletes what is older than `retention` at `now`, inside the caller's transaction. The
    /// newest applied row stays, so that commit groups go on numbering from it.
    static func prune(_ db: Database, now: Date, retention: TimeInterval = retention, limit: Int = limit) throws -> Pruned {
        let cutoff = now.timeIntervalSince1970 - retention
        var pruned = Pruned()
        try db.execute(sql: """
            DELETE FROM tgcluster_applied WHERE update_id IN (
                SELECT update_id FROM tgcluster_applied WHERE applied_at < ?
                AND commit_group < (SELECT MAX(commit_group) FROM tgcluster_applied) LIMIT ?)
            """, arguments: [cutoff, limit])
        pruned.applied = db.changesCount
        try db.execute(sql: """
            DELETE FROM tgcluster_outbox WHERE id IN (
                SELECT id FROM tgcluster_outbox WHERE status != 'pending' AND finished_at < ? LIMIT ?)
            """, arguments: [cutoff, limit])
        pruned.outbox = db.changesCount
        try db.execute(sql: """
            DELETE FROM tgcluster_firing WHERE rowid IN (SELECT rowid FROM tgcluster_firing WHERE fired_at < ? LIMIT ?)
            """, arguments: [cutoff, limit])
        pruned.firings = db.changesCount
        try db.execute(sql: """
            DELETE FROM tgcluster_schedule WHERE id IN (
                SELECT id FROM tgcluster_schedule WHERE next_run IS NULL AND COALESCE(last_run, created_at) < ? LIMIT ?)
            """, arguments: [cutoff, limit])
        pruned.schedules = db.changesCount
        return pruned
    }
}
