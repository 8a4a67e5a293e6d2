import BotAPI
import Bus
import Foundation
import GRDB
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
    func emit(_ name: String, input: Data, key: RoutingKey?) throws -> UInt64 {
        let updateID = self.updateID
        let emission = try store.access { db in try Outbox.insert(db, updateID: updateID, name: name, input: input, key: key) }
        emitted.withLock { $0.append(emission) }
        return emission.outboxID
    }

    /// Records an emission made with the connection directly (the JobQueue's firings).
    func record(_ emission: Emission) {
        emitted.withLock { $0.append(emission) }
    }

    var emissions: [Emission] { emitted.withLock { $0 } }
}

/// The outbox table's one insert.
enum Outbox {
    static func insert(_ db: Database, updateID: Int64?, name: String, input: Data, key: RoutingKey?) throws -> Emission {
        let (kind, keyID) = SequencerService.columns(key)
        try db.execute(sql: """
            INSERT INTO tgcluster_outbox(update_id, name, input, key_kind, key_id, status, created_at)
            VALUES (?, ?, ?, ?, ?, 'pending', ?)
            """, arguments: [updateID, name, input, kind, keyID, Date().timeIntervalSince1970])
        return Emission(outboxID: UInt64(db.lastInsertedRowID), key: key, name: name, input: input)
    }
}

/// The name of the built-in outbox job that makes one Bot API call (a serial handler's
/// `reply` and `send`): input is the method name, a newline, and the JSON parameters.
enum DeferredCall {
    static let jobName = "tgcluster.send"

    static func input(method: String, json: Data) -> Data {
        Data(method.utf8) + Data([10]) + json
    }

    static func parse(_ input: Data) -> (method: String, json: Data)? {
        guard let newline = input.firstIndex(of: 10) else { return nil }
        return (String(decoding: input[input.startIndex..<newline], as: UTF8.self), Data(input[(newline + 1)...]))
    }
}
