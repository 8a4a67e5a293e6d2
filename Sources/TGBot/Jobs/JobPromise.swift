import Foundation

/// The result of a job submitted with `runAsync`, to await when it is needed.
public struct JobPromise: Sendable {
    let task: Task<Data, any Error>
    let effects: any HandlerEffects
    /// For a job a serial handler emitted: its outbox key (`outbox-<n>`), to look it up later
    /// with `Context.outboxJob` and the idempotency key its job sees as `JobContext.key`.
    public let key: String?

    package init(task: Task<Data, any Error>, effects: any HandlerEffects, key: String? = nil) {
        self.task = task
        self.effects = effects
        self.key = key
    }

    /// The job's output bytes; throws `JobError` if the job failed or was given up. While it
    /// waits, the caller's slot is lent to the pool, so nested jobs of any depth cannot
    /// deadlock a bounded pool.
    public func data() async throws -> Data {
        effects.lend()
        defer { effects.reclaim() }
        return try await task.value
    }

    /// The job's output decoded from JSON.
    public func value<T: Decodable>(as type: T.Type = T.self) async throws -> T {
        try JSONDecoder().decode(T.self, from: try await data())
    }
}
