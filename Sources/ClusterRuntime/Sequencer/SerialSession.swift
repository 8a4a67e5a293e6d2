import BotAPI
import Wire
import Foundation
import GRDB
import Locking
import Synchronization
import TGBot

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
    /// The host's rate table (`RateLimit`).
    let rates: RateTable
    /// Where the calls sent at once (not awaited) are reported: the group commit collects them.
    private let sentAtOnce: @Sendable (Task<Void, Never>) -> Void
    /// `ctx.userData`/`chatData` read so far, by scope: written back by `flushValues`.
    private let values = Mutex<[String: StoredValues]>([:])

    init(store: StateStore, updateID: Int64, key: RoutingKey?, chatID: Int64?, userID: Int64?, rates: RateTable,
         sentAtOnce: @escaping @Sendable (Task<Void, Never>) -> Void = { _ in }) {
        self.rates = rates
        self.sentAtOnce = sentAtOnce
        self.store = store
        self.updateID = updateID
        self.key = key
        self.chatID = chatID
        self.userID = userID
    }

    /// A call the handler sent at once, unawaited (a button's answer).
    func sentAtOnce(_ call: Task<Void, Never>) {
        sentAtOnce(call)
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

    /// The values under `scope`, read from the store the first time in this update.
    func storedValues(_ scope: String) throws -> StoredValues {
        if let known = values.locked({ $0[scope] }) { return known }
        let loaded = StoredValues(try store.access { db in try ValuesStore.read(db, scope: scope) })
        values.locked { $0[scope] = loaded }
        return loaded
    }

    /// Writes back the values a handler changed (before its savepoint is released).
    func flushValues() throws {
        let changed = values.locked { $0.compactMap { scope, v in v.changes.map { (scope, $0) } } }
        guard !changed.isEmpty else { return }
        try store.access { db in
            for (scope, data) in changed { try ValuesStore.write(db, data, scope: scope, now: Date()) }
        }
    }
}
