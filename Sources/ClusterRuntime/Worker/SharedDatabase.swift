import Foundation
import GRDB
import Synchronization

/// A worker's connection to the sequencer's store, opened on first use (most bots never ask).
package final class SharedDatabase: Sendable {
    private let path: String
    private let opened = Mutex<DatabaseQueue?>(nil)

    package init(path: String) { self.path = path }

    func queue() throws -> DatabaseQueue {
        try opened.withLock { q in
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
        opened.withLock { q in
            try? q?.close()
            q = nil
        }
    }
}
