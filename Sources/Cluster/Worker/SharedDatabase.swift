import Foundation
import GRDB
import Synchronization

/// A worker's connection to the sequencer's store, opened on first use (most bots never ask).
final class SharedDatabase: Sendable {
    private let path: String
    private let opened = Mutex<DatabaseQueue?>(nil)

    init(path: String) { self.path = path }

    func queue() throws -> DatabaseQueue {
        try opened.withLock { q in
            if let q { return q }
            let new = try DatabaseQueue(path: path, configuration: StateStore.configuration(unsafeTransactions: false))
            q = new
            return new
        }
    }

    func close() {
        opened.withLock { q in
            try? q?.close()
            q = nil
        }
    }
}
