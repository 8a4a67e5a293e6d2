import BotAPI
import Foundation
import GRDB
import Wire

/// The outbox table (`tgcluster_outbox`) and the one place its SQL lives: the jobs serial
/// handlers emitted, in emission order, each `pending` until the broker reports it finished.
///
/// A row holds its action by kind (0 named job, 1 Bot API call, 2 timer firing, 3 handler):
/// `name` is the job's name, the call's method, the timer's callback or the handler's index;
/// `input` the job's input, the call's JSON parameters, the firing (JSON of `TimerFiring`) or
/// the update's bytes.
enum OutboxStore {
    /// Where an outbox row stands.
    enum Status: String {
        case pending, ok, failed, dead
    }

    /// Adds a row inside the open transaction; answers the emission to send after the commit.
    static func insert(_ db: Database, updateID: Int64?, action: OutboxAction, key: RoutingKey?) throws -> Emission {
        let (kind, name, input) = try columns(action)
        let (keyKind, keyID) = key.wireParts
        try db.execute(sql: """
            INSERT INTO tgcluster_outbox(update_id, kind, name, input, key_kind, key_id, status, created_at)
            VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)
            """, arguments: [updateID, kind, name, input, Int(keyKind), keyID, Date().timeIntervalSince1970])
        return Emission(outboxID: UInt64(db.lastInsertedRowID), key: key, action: action)
    }

    /// Every row not yet reported finished, in emission order (sent again after a restart).
    static func pending(_ db: Database) throws -> [Emission] {
        try Row.fetchAll(db, sql: "SELECT id, update_id, kind, name, input, key_kind, key_id FROM tgcluster_outbox WHERE status = 'pending' ORDER BY id")
            .map { row in
                let key = try RoutingKey?(wireKind: UInt8(clamping: row["key_kind"] as Int), id: row["key_id"])
                return Emission(outboxID: UInt64(row["id"] as Int64), key: key,
                                action: try action(kind: row["kind"], name: row["name"], input: row["input"], updateID: row["update_id"]))
            }
    }

    /// Records how rows ended (EMITTED); a row already finished keeps its first outcome.
    static func finish(_ db: Database, _ results: [(id: UInt64, outcome: Outcome, output: Data)], now: Date) throws {
        for (id, outcome, output) in results {
            let status: Status = outcome == .ok ? .ok : outcome == .failed ? .failed : .dead
            try db.execute(sql: "UPDATE tgcluster_outbox SET status = ?, output = ?, finished_at = ? WHERE id = ? AND status = 'pending'",
                           arguments: [status.rawValue, output, now.timeIntervalSince1970, Int64(id)])
        }
    }

    /// A row's status and output, for `Context.outboxJob`.
    static func lookup(_ db: Database, id: Int64) throws -> (status: Status, output: Data)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT status, output FROM tgcluster_outbox WHERE id = ?", arguments: [id]) else { return nil }
        return (Status(rawValue: row["status"]) ?? .failed, row["output"] ?? Data())
    }

    private static func columns(_ action: OutboxAction) throws -> (Int, String, Data) {
        switch action {
        case .job(let name, let input): return (0, name, input)
        case .call(let method, let parameters, _): return (1, method, parameters)
        case .fire(let firing): return (2, firing.callback, try JSONEncoder().encode(firing))
        case .handler(let index, let update): return (3, String(index), update)
        }
    }

    private static func action(kind: Int, name: String, input: Data, updateID: Int64?) throws -> OutboxAction {
        switch kind {
        case 1: return .call(method: name, parameters: input, updateID: updateID)
        case 2: return .fire(try JSONDecoder().decode(TimerFiring.self, from: input))
        case 3:
            guard let index = UInt16(name) else { throw StoreError("outbox handler row with index \(name)") }
            return .handler(index: index, update: input)
        default: return .job(name: name, input: input)
        }
    }

    /// Schema v2: the action's kind gets a column (v1 named calls and firings by reserved job
    /// names, `tgcluster.send` and `tgcluster.fire`); pending v1 rows are rewritten.
    static func migrateToKinds(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE tgcluster_outbox ADD COLUMN kind INTEGER NOT NULL DEFAULT 0")
        struct V1Firing: Decodable {
            var scheduleID: Int64, name: String, callback: String, payload: Data, chatID: Int64?, userID: Int64?, scheduledFor: Date
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, name, input FROM tgcluster_outbox WHERE status = 'pending' AND name IN ('tgcluster.send', 'tgcluster.fire')") {
            let id: Int64 = row["id"]
            let input: Data = row["input"]
            if row["name"] as String == "tgcluster.send" {
                guard let newline = input.firstIndex(of: 10) else { continue }
                try db.execute(sql: "UPDATE tgcluster_outbox SET kind = 1, name = ?, input = ? WHERE id = ?",
                               arguments: [String(decoding: input[..<newline], as: UTF8.self), Data(input[(newline + 1)...]), id])
            } else if let old = try? JSONDecoder().decode(V1Firing.self, from: input) {
                let firing = TimerFiring(scheduleID: old.scheduleID, name: old.name, callback: old.callback, payload: old.payload,
                                         chatID: old.chatID, userID: old.userID, scheduledFor: old.scheduledFor.timeIntervalSince1970)
                try db.execute(sql: "UPDATE tgcluster_outbox SET kind = 2, name = ?, input = ? WHERE id = ?",
                               arguments: [firing.callback, try JSONEncoder().encode(firing), id])
            }
        }
    }
}
