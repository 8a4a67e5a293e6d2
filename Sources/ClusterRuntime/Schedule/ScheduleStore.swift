import BotAPI
import Wire
import Foundation
import TGBot
import GRDB

/// The JobQueue's rows in the sequencer's store (`tgcluster_schedule`, `tgcluster_firing`),
/// and the one place their SQL lives. Runs inside the sequencer's open transaction.
enum ScheduleStore {
    static let columns = "id, name, callback, chat_id, user_id, trigger, next_run, paused, runs, misfire, grace"

    /// Applies `request`; answers the ids it touched.
    static func apply(_ r: ScheduleRequest, _ db: Database, now: Date) throws -> [Int64] {
        switch r.operation {
        case .add:
            if let token = r.token, let id = try Int64.fetchOne(db, sql: "SELECT id FROM tgcluster_schedule WHERE request = ?", arguments: [token]) {
                return [id]
            }
            guard let callback = r.callback, let trigger = r.trigger else { throw ScheduleError("add needs a callback and a trigger") }
            let name = r.name ?? callback
            if r.keepExisting == true, let id = try Int64.fetchOne(db, sql: """
                SELECT id FROM tgcluster_schedule WHERE name = ? AND callback = ? AND next_run IS NOT NULL
                """, arguments: [name, callback]) {
                return [id]
            }
            let next = trigger.first(from: now)
            try db.execute(sql: """
                INSERT INTO tgcluster_schedule(request, name, callback, payload, chat_id, user_id, trigger, misfire, grace, next_run, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.token, name, callback, r.payload ?? Data("null".utf8), r.chatID, r.userID,
                                 String(decoding: try JSONEncoder().encode(trigger), as: UTF8.self),
                                 (r.misfire ?? .runOnce).rawValue, r.grace ?? 60, next?.timeIntervalSince1970, now.timeIntervalSince1970])
            return [db.lastInsertedRowID]
        case .cancel:
            try db.execute(sql: "UPDATE tgcluster_schedule SET next_run = NULL WHERE id = ? AND next_run IS NOT NULL", arguments: [r.id])
            return db.changesCount > 0 ? [r.id ?? 0] : []
        case .cancelNamed:
            let ids = try Int64.fetchAll(db, sql: """
                SELECT id FROM tgcluster_schedule WHERE name = ? AND (? IS NULL OR chat_id = ?) AND next_run IS NOT NULL
                """, arguments: [r.name, r.chatID, r.chatID])
            for id in ids { try db.execute(sql: "UPDATE tgcluster_schedule SET next_run = NULL WHERE id = ?", arguments: [id]) }
            return ids
        case .pause, .resume:
            try db.execute(sql: "UPDATE tgcluster_schedule SET paused = ? WHERE id = ? AND next_run IS NOT NULL",
                           arguments: [r.operation == .pause, r.id])
            return db.changesCount > 0 ? [r.id ?? 0] : []
        }
    }

    static func list(_ db: Database, name: String?, chatID: Int64?, includeFinished: Bool = false) throws -> [ScheduledJob] {
        try Row.fetchAll(db, sql: """
            SELECT \(columns) FROM tgcluster_schedule
            WHERE (? IS NULL OR name = ?) AND (? IS NULL OR chat_id = ?) AND (? OR next_run IS NOT NULL)
            ORDER BY next_run IS NULL, next_run, id
            """, arguments: [name, name, chatID, chatID, includeFinished]).map(job)
    }

    static func job(_ row: Row) throws -> ScheduledJob {
        let trigger = try JSONDecoder().decode(Trigger.self, from: Data((row["trigger"] as String).utf8))
        return ScheduledJob(id: row["id"], name: row["name"], callback: row["callback"], chatID: row["chat_id"], userID: row["user_id"],
                            trigger: trigger, nextRun: (row["next_run"] as Double?).map(Date.init(timeIntervalSince1970:)),
                            paused: row["paused"], runs: row["runs"], misfire: MisfirePolicy(rawValue: row["misfire"]) ?? .runOnce,
                            grace: row["grace"])
    }

    /// The earliest run of an active job, for the sequencer's one timer.
    static func nextDue(_ db: Database) throws -> Date? {
        try Double.fetchOne(db, sql: "SELECT MIN(next_run) FROM tgcluster_schedule WHERE paused = 0 AND next_run IS NOT NULL")
            .map(Date.init(timeIntervalSince1970:))
    }

    /// Records and emits every run due at `now` (at most `limit` jobs): each firing is a row in
    /// `tgcluster_firing` and an outbox job, in the same transaction, so it happens once.
    static func fireDue(_ db: Database, now: Date, limit: Int = 2000,
                        emit: (OutboxAction, RoutingKey?) throws -> UInt64) throws -> Int {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, name, callback, payload, chat_id, user_id, trigger, next_run, misfire, grace FROM tgcluster_schedule
            WHERE paused = 0 AND next_run IS NOT NULL AND next_run <= ? ORDER BY next_run LIMIT ?
            """, arguments: [now.timeIntervalSince1970, limit])
        var fired = 0
        for row in rows {
            let id: Int64 = row["id"]
            let trigger = try JSONDecoder().decode(Trigger.self, from: Data((row["trigger"] as String).utf8))
            let grace: Double = row["grace"]
            let policy = MisfirePolicy(rawValue: row["misfire"]) ?? .runOnce
            var t: Date? = Date(timeIntervalSince1970: row["next_run"])
            var onTime: [Date] = []
            var missed: [Date] = []
            var steps = 0
            while let due = t, due <= now, steps < 10_000 {
                if now.timeIntervalSince(due) <= grace { onTime.append(due) } else { missed.append(due) }
                t = trigger.next(after: due)
                if let next = t, next <= due { t = nil }  // a trigger that does not advance ends
                steps += 1
            }
            var runs = onTime
            switch policy {
            case .runAll: runs = missed + onTime
            case .runOnce: if let last = missed.last, onTime.isEmpty { runs = [last] }
            case .skip: break
            }
            let chat: Int64? = row["chat_id"]
            for scheduled in runs {
                let firing = TimerFiring(scheduleID: id, name: row["name"], callback: row["callback"], payload: row["payload"],
                                         chatID: chat, userID: row["user_id"], scheduledFor: scheduled.timeIntervalSince1970)
                // The firing's row first: a run already recorded is not emitted again.
                try db.execute(sql: "INSERT OR IGNORE INTO tgcluster_firing(schedule_id, scheduled_for, fired_at, outbox_id) VALUES (?, ?, ?, 0)",
                               arguments: [id, scheduled.timeIntervalSince1970, Date().timeIntervalSince1970])
                guard db.changesCount > 0 else { continue }
                let outbox = try emit(.fire(firing), chat.map { .chat($0) })
                try db.execute(sql: "UPDATE tgcluster_firing SET outbox_id = ? WHERE schedule_id = ? AND scheduled_for = ?",
                               arguments: [Int64(outbox), id, scheduled.timeIntervalSince1970])
                fired += 1
            }
            try db.execute(sql: "UPDATE tgcluster_schedule SET next_run = ?, runs = runs + ?, last_run = ? WHERE id = ?",
                           arguments: [t?.timeIntervalSince1970, runs.count, runs.isEmpty ? nil : now.timeIntervalSince1970, id])
        }
        return fired
    }
}

struct ScheduleError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
