import BotAPI
import Wire
import Foundation
import GRDB
import Locking
import Synchronization

/// One serial update's share of the sequencer's open transaction: the store, the jobs its
/// handler emitted (outbox rows inside its savepoint: gone again if the handler throws), and
/// its chat.
final class SerialSession: Sendable {

    let store: StateStore
    let updateID: Int64
    let key: RoutingKey?
    let chatID: Int64?
    let userID: Int64?
    private let emitted = Mutex<[Emission]>([])

    init(store: StateStore, updateID: Int64, key: RoutingKey?, chatID: Int64?, userID: Int64?) {
        self.store = store
        self.updateID = updateID
        self.key = key
        self.chatID = chatID
        self.userID = userID
    }

    /// Adds an outbox row now (so its id, the job's key, is known at once); it is sent after
    /// the commit.
    @discardableResult
    func emit(_ action: OutboxAction, key: RoutingKey?) throws -> UInt64 {
        let updateID = self.updateID
        let emission = try store.access { db in try OutboxStore.insert(db, updateID: updateID, action: action, key: key) }
        emitted.locked { $0.append(emission) }
        return emission.outboxID
    }

    /// Records an emission made with the connection directly (the JobQueue's firings).
    func record(_ emission: Emission) {
        emitted.locked { $0.append(emission) }
    }

    var emissions: [Emission] { emitted.locked { $0 } }
}
