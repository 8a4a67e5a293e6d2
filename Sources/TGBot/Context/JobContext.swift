import BotAPI
import Foundation
import GRDB
import Logging

/// The context of a named job: like a handler's, without an update.
public struct JobContext: Sendable {
    public let client: BotClient
    public let logger: Logger
    /// For a job from a serial handler's outbox, a key that is the same on every delivery of
    /// this job (`outbox-<n>`): write idempotently under it (delivery is at-least-once).
    public let key: String?
    package let effects: any HandlerEffects

    package init(client: BotClient, logger: Logger, key: String? = nil, effects: any HandlerEffects) {
        self.client = client
        self.logger = logger
        self.key = key
        self.effects = effects
    }

    /// The sequencer's store, opened by this worker process for writes that commute (appends
    /// keyed by `key`, such as a log). Shared state that must change in order belongs in
    /// serial handlers.
    public var database: DatabaseQueue {
        get throws { try effects.database() }
    }

    public func runAsync<Input: Encodable>(_ name: String, _ input: Input) throws -> JobPromise {
        try effects.runAsync(name, input: JSONEncoder().encode(input))
    }

    /// The JobQueue (changes go to the sequencer).
    public var jobQueue: JobQueue { JobQueue(effects: effects) }
}
