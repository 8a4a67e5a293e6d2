import Foundation
import GRDB
import Locking
import Synchronization

/// A worker's connection to the sequencer's store, opened on first use (most bots never ask).
package final class SharedDatabase: Sendable {
    private let path: String
    private let opened = Mutex<DatabaseQueue?>(nil)
    /// False on a worker host: the store is on the core host's disk, and a local file of the
    /// same name would be another, empty store.
    private let onThisHost: Bool

    package init(path: String, onThisHost: Bool = true) {
        self.path = path
        self.onThisHost = onThisHost
    }

    func queue() throws -> DatabaseQueue {
        guard onThisHost else { throw SharedDatabaseError() }
        return try opened.locked { q in
            if let q { return q }
            var c = StateStore.configuration(unsafeTransactions: false)
            // The sequencer commits group after group; a worker's write may wait a while for its turn.
            c.busyMode = .timeout(60)
            let new = try DatabaseQueue(path: path, configuration: c)
            q = new
            return new
        }
    }

    package func close() {
        opened.locked { q in
            try? q?.close()
            q = nil
        }
    }
}

/// `ctx.database` in a handler on a worker host.
struct SharedDatabaseError: Error, CustomStringConvertible {
    var description: String {
        "the shared store is on the core host: a handler on a worker host (run --role workers) cannot open it; make the handler .serial"
    }
}
