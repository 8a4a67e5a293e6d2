import BotAPI
import Foundation
import GRDB
import TGBot

/// A handler's effects in the worker pool: calls go out at once, jobs and JobQueue changes go
/// to the pool (the broker, or the tester's inline pool), and the store is only this process's
/// own connection (for jobs).
package struct PoolEffects: HandlerEffects {
    /// The pool awaits its calls: nothing is sent unawaited.
    package func sentAtOnce(_ call: Task<Void, Never>) {}

    let client: BotClient
    let pool: any JobPool
    let databases: SharedDatabase
    let rates: RateTable

    package init(client: BotClient, pool: any JobPool, databases: SharedDatabase, rates: RateTable) {
        self.client = client
        self.pool = pool
        self.databases = databases
        self.rates = rates
    }

    package func admit(rateKey key: UInt64, rate: Double, burst: Double) -> Bool {
        rates.admit(key: key, rate: rate, burst: burst)
    }

    package var isSerial: Bool { false }

    package func call(method: String, json: Data) async throws -> Data {
        try await client.send(methodName: method, json: json).body
    }

    package func runAsync(_ name: String, input: Data) throws -> JobPromise {
        let pool = self.pool
        return JobPromise(task: Task { try await pool.submit(name: name, input: input) }, effects: self)
    }

    package func lend() { pool.lend() }
    package func reclaim() { pool.reclaim() }

    package func schedule(_ request: ScheduleRequest) async throws -> [Int64] {
        let output = try await pool.schedule(change: JSONEncoder().encode(request))
        return try JSONDecoder().decode([Int64].self, from: output)
    }

    package func scheduledJobs(named name: String?, chatID: Int64?) async throws -> [ScheduledJob] {
        try await databases.queue().read { db in try ScheduleStore.list(db, name: name, chatID: chatID) }
    }

    package func withStore<T>(_ body: (Database) throws -> T) throws -> T {
        throw ContextError(message: "ctx.state is only for .serial handlers (they run in the sequencer)")
    }

    package func dialogue(_ name: String, key: String) throws -> DialogueRecord? {
        throw ContextError(message: "conversations run in the sequencer")
    }

    package func setDialogue(_ record: DialogueRecord?, name: String, key: String) throws {
        throw ContextError(message: "conversations run in the sequencer")
    }

    package func storedValues(_ scope: String) throws -> StoredValues {
        throw ContextError(message: "stored values are for serial handlers")
    }

    package func handOff(handler index: UInt16, update: Data) throws {
        throw ContextError(message: "only a serial handler passes an update on")
    }

    package func outboxJob(id: Int64) throws -> OutboxJobState? {
        throw ContextError(message: "ctx.outboxJob is only for .serial handlers")
    }

    package func database() throws -> DatabaseQueue {
        try databases.queue()
    }
}
