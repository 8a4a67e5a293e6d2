import Foundation
import TGBot
import GRDB

/// A read-only look at a data dir's JobQueue, for `tgcluster jobs` and for tests.
package enum StoredJobs {
    /// The active jobs (or every job with `all`), soonest first.
    package static func list(dataDir: String, all: Bool = false) throws -> [ScheduledJob] {
        let path = URL(fileURLWithPath: dataDir).appendingPathComponent("state.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError("no store at \(path)") }
        var c = Configuration()
        c.readonly = true
        c.busyMode = .timeout(5)
        let db = try DatabaseQueue(path: path, configuration: c)
        defer { try? db.close() }
        return try db.read { db in try ScheduleStore.list(db, name: nil, chatID: nil, includeFinished: all) }
    }
}
