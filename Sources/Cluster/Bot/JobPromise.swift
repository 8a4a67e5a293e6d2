import Foundation

/// The result of a job submitted with `runAsync`, to await when it is needed.
public struct JobPromise: Sendable {
    let task: Task<Data, any Error>
    let runner: JobRunner
    /// For a job a serial handler emitted: its outbox key (`outbox-<n>`), to look it up later
    /// with `Context.outboxJob` and the idempotency key its job sees as `JobContext.key`.
    public let key: String?

    init(task: Task<Data, any Error>, runner: JobRunner, key: String? = nil) {
        self.task = task
        self.runner = runner
        self.key = key
    }

    /// The job's output bytes; throws `JobError` if the job failed or was given up.
    public func data() async throws -> Data {
        runner.lend()
        defer { runner.reclaim() }
        return try await task.value
    }

    /// The job's output decoded from JSON.
    public func value<T: Decodable>(as type: T.Type = T.self) async throws -> T {
        try JSONDecoder().decode(T.self, from: try await data())
    }
}

/// A job that ended without a result.
public struct JobError: Error, CustomStringConvertible, Sendable {
    public var job: String
    public var reason: String
    public var description: String { "job \(job) failed: \(reason)" }
}

/// Submits named jobs and matches their results; implemented by the worker and sequencer.
protocol JobSubmitting: Sendable {
    func submit(name: String, input: Data) async throws -> Data
    func lend()
    func reclaim()
}

/// The bridge from a `Context` to the process's job machinery.
struct JobRunner: Sendable {
    let backend: any JobSubmitting

    func submit(_ name: String, input: Data) throws -> JobPromise {
        let backend = self.backend
        let task = Task { try await backend.submit(name: name, input: input) }
        return JobPromise(task: task, runner: self)
    }

    func lend() { backend.lend() }
    func reclaim() { backend.reclaim() }
}
