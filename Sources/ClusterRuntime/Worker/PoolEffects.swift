import BotAPI
import Foundation
import GRDB
import TGBot

/// A handler's effects in the worker pool: calls go out at once, jobs and JobQueue changes go
/// to the broker, and the store is only this process's own connection (for jobs).
struct PoolEffects: HandlerEffects {
    let client: BotClient
    let worker: WorkerService
    let databases: SharedDatabase

    var isSerial: Bool { false }

    func call(method: String, json: Data) async throws -> Data {
        try await client.send(methodName: method, json: json).body
    }

    func runAsync(_ name: String, input: Data) throws -> JobPromise {
        let worker = self.worker
        return JobPromise(task: Task { try await worker.submit(name: name, input: input) }, effects: self)
    }

    func lend() { worker.lend() }
    func reclaim() { worker.reclaim() }

    func schedule(_ request: ScheduleRequest) async throws -> [Int64] {
        let output = try await worker.schedule(change: JSONEncoder().encode(request))
        return try JSONDecoder().decode([Int64].self, from: output)
    }

    func scheduledJobs(named name: String?, chatID: Int64?) async throws -> [ScheduledJob] {
        try await databases.queue().read { db in try ScheduleStore.list(db, name: name, chatID: chatID) }
    }

    func withStore<T>(_ body: (Database) throws -> T) throws -> T {
        throw ContextError(message: "ctx.state is only for .serial handlers (they run in the sequencer)")
    }

    func conversation(chat: Int64, user: Int64) throws -> ConversationRecord? {
        throw ContextError(message: "ctx.conversation is only for .serial handlers")
    }

    func setConversation(_ record: ConversationRecord?, chat: Int64, user: Int64) throws {
        throw ContextError(message: "ctx.conversation is only for .serial handlers")
    }

    func outboxJob(id: Int64) throws -> OutboxJobState? {
        throw ContextError(message: "ctx.outboxJob is only for .serial handlers")
    }

    func database() throws -> DatabaseQueue {
        try databases.queue()
    }
}
