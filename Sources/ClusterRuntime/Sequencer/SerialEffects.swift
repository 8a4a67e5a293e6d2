import BotAPI
import Foundation
import GRDB
import TGBot
import Wire

/// A serial handler's effects: everything inside the sequencer's open transaction. Calls and
/// jobs become outbox rows (sent after the commit), JobQueue changes and conversations are
/// rows of the same transaction.
struct SerialEffects: HandlerEffects {
    let session: SerialSession
    /// `add` keeps an active job of the same name (the start-up hooks, run at every start).
    var keepExisting = false

    var isSerial: Bool { true }

    func call(method: String, json: Data) async throws -> Data {
        // The start-up hooks' session has no update (id 0).
        try session.emit(.call(method: method, parameters: json, updateID: session.updateID == 0 ? nil : session.updateID), key: session.key)
        return Data()
    }

    /// Not part of the transaction: an update run again after a crash counts again.
    func admit(rateKey key: UInt64, rate: Double, burst: Double) -> Bool {
        session.rates.admit(key: key, rate: rate, burst: burst)
    }

    func sentAtOnce(_ call: Task<Void, Never>) {
        session.sentAtOnce(call)
    }

    func runAsync(_ name: String, input: Data) throws -> JobPromise {
        let id = try session.emit(.job(name: name, input: input), key: session.key)
        let task = Task<Data, any Error> {
            throw JobError(job: name, reason: "emitted by a serial handler: it runs after this update commits, so it cannot be awaited "
                                              + "here; read it later with ctx.outboxJob(promise.key)")
        }
        return JobPromise(task: task, effects: self, key: "outbox-\(id)")
    }

    func lend() {}
    func reclaim() {}

    func schedule(_ request: ScheduleRequest) async throws -> [Int64] {
        var r = request
        r.keepExisting = keepExisting
        return try session.store.access { db in try ScheduleStore.apply(r, db, now: Date()) }
    }

    func scheduledJobs(named name: String?, chatID: Int64?) async throws -> [ScheduledJob] {
        try session.store.access { db in try ScheduleStore.list(db, name: name, chatID: chatID) }
    }

    func withStore<T>(_ body: (Database) throws -> T) throws -> T {
        try session.store.access(body)
    }

    func dialogue(_ name: String, key: String) throws -> DialogueRecord? {
        try session.store.access { db in try DialogueStore.read(db, name: name, key: key) }
    }

    func setDialogue(_ record: DialogueRecord?, name: String, key: String) throws {
        try session.store.access { db in try DialogueStore.write(db, record, name: name, key: key, now: Date()) }
    }

    func storedValues(_ scope: String) throws -> StoredValues {
        try session.storedValues(scope)
    }

    func handOff(handler index: UInt16, update: Data) throws {
        try session.emit(.handler(index: index, update: update), key: session.key)
    }

    func outboxJob(id: Int64) throws -> OutboxJobState? {
        guard let (status, output) = try session.store.access({ db in try OutboxStore.lookup(db, id: id) }) else { return nil }
        switch status {
        case .pending: return .pending
        case .ok: return .finished(output)
        case .failed, .dead: return .failed(String(decoding: output, as: UTF8.self))
        }
    }

    func database() throws -> DatabaseQueue {
        throw ContextError(message: "a serial handler reaches the store through ctx.state")
    }
}
