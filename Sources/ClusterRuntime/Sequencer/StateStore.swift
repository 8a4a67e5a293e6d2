import Foundation
import TGBot
import GRDB

/// The sequencer's SQLite store (`<data-dir>/state.sqlite`, WAL, `synchronous=FULL`): the
/// bot's own tables, and three of tgcluster's in the same file so that one commit covers them:
///
/// - `tgcluster_applied`: every serial update applied (its id, a digest of its bytes, outcome,
///   time, commit group). An update found here is not applied again; it is also the journal
///   the tests check exactly-once against. Telegram restarts ids at a random value after a
///   week without updates, so an id found with other bytes, applied more than a day ago (the
///   longest Telegram keeps an update), is a new update and replaces the row.
/// - `tgcluster_outbox`: the jobs serial handlers emitted, in emission order; a row stays
///   `pending` until the broker reports it finished, and is sent again after any restart.
/// - `tgcluster_dialogue`: per conversation and key, its state (`ConversationHandler`, and
///   `ctx.conversation` under the empty name; `tgcluster_conversation` until schema v3).
/// - `tgcluster_values`: per user or chat, the values of `ctx.userData` and `ctx.chatData`.
///
/// One writer: the sequencer holds `state.lock` (`flock`) for its lifetime, so a second one
/// waits instead of writing beside it. The connection allows a transaction to stay open across
/// several `inDatabase` calls (GRDB's `allowsUnsafeTransactions`): a group commit spans many
/// async handlers, each in its own savepoint. Not thread-safe: the sequencer uses it from one
/// task at a time.
package final class StateStore: @unchecked Sendable {
    let queue: DatabaseQueue
    private var lockFD: Int32 = -1
    private var closed = false

    /// Opens (creating) the store and takes the writer's lock, waiting up to `lockTimeout`.
    package init(path: String, migrations: [Bot.Migration], lockTimeout: Duration = .seconds(30)) throws {
        lockFD = open(path + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw StoreError("cannot open \(path).lock: \(String(cString: strerror(errno)))") }
        let deadline = ContinuousClock.now + lockTimeout
        while flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            guard ContinuousClock.now < deadline else {
                Foundation.close(lockFD)
                throw StoreError("another sequencer holds \(path).lock")
            }
            usleep(20_000)
        }
        queue = try DatabaseQueue(path: path, configuration: Self.configuration(unsafeTransactions: true))
        try queue.inDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // The bot's migrations run after tgcluster's own, in the order the bot declared them.
        var migrator = Self.internalMigrator
        for m in migrations { migrator.registerMigration(m.identifier, migrate: m.body) }
        try migrator.migrate(queue)
    }

    static func configuration(unsafeTransactions: Bool) -> Configuration {
        var c = Configuration()
        c.allowsUnsafeTransactions = unsafeTransactions
        c.busyMode = .timeout(10)
        c.label = "tgcluster.state"
        return c
    }

    private static var internalMigrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("tgcluster.v1") { db in
            try db.execute(sql: """
                CREATE TABLE tgcluster_applied (
                    update_id INTEGER PRIMARY KEY,
                    digest INTEGER NOT NULL,         -- FNV-1a of the update's bytes
                    outcome TEXT NOT NULL,           -- ok | failed
                    error TEXT,
                    applied_at REAL NOT NULL,
                    commit_group INTEGER NOT NULL    -- updates committed together share it
                );
                CREATE TABLE tgcluster_outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    update_id INTEGER,
                    name TEXT NOT NULL,
                    input BLOB NOT NULL,
                    key_kind INTEGER NOT NULL,       -- 0 none, 1 chat, 2 user
                    key_id INTEGER NOT NULL,
                    status TEXT NOT NULL,            -- pending | ok | failed | dead
                    output BLOB,                     -- the job's result, once finished
                    created_at REAL NOT NULL,
                    finished_at REAL
                );
                CREATE INDEX tgcluster_outbox_pending ON tgcluster_outbox(status) WHERE status = 'pending';
                CREATE TABLE tgcluster_schedule (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    request TEXT UNIQUE,             -- idempotency token of the request that added it
                    name TEXT NOT NULL,
                    callback TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    chat_id INTEGER,
                    user_id INTEGER,
                    trigger TEXT NOT NULL,           -- JSON (Trigger)
                    misfire TEXT NOT NULL,           -- once | all | skip
                    grace REAL NOT NULL,
                    next_run REAL,                   -- NULL: will not run again
                    paused INTEGER NOT NULL DEFAULT 0,
                    runs INTEGER NOT NULL DEFAULT 0,
                    last_run REAL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX tgcluster_schedule_due ON tgcluster_schedule(next_run) WHERE paused = 0 AND next_run IS NOT NULL;
                CREATE INDEX tgcluster_schedule_name ON tgcluster_schedule(name, chat_id);
                CREATE TABLE tgcluster_firing (
                    schedule_id INTEGER NOT NULL,
                    scheduled_for REAL NOT NULL,
                    fired_at REAL NOT NULL,
                    outbox_id INTEGER NOT NULL,
                    PRIMARY KEY (schedule_id, scheduled_for)
                );
                CREATE TABLE tgcluster_conversation (
                    chat_id INTEGER NOT NULL,
                    user_id INTEGER NOT NULL,
                    state TEXT,
                    data TEXT NOT NULL DEFAULT '{}',
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (chat_id, user_id)
                );
                """)
        }
        m.registerMigration("tgcluster.v2", migrate: OutboxStore.migrateToKinds)
        m.registerMigration("tgcluster.v3") { db in
            try DialogueStore.create(db)
            try ValuesStore.create(db)
        }
        return m
    }

    /// Runs `body` on the connection (inside whatever transaction is open).
    package func access<T>(_ body: (Database) throws -> T) throws -> T {
        try queue.inDatabase(body)
    }

    package func close() throws {
        guard !closed else { return }
        closed = true
        try queue.close()
        flock(lockFD, LOCK_UN)
        Foundation.close(lockFD)
    }

    deinit {
        assert(closed, "StateStore was not closed")
    }
}

struct StoreError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
