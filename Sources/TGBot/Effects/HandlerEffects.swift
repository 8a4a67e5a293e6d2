import Foundation
import GRDB

/// What a handler's context asks of the runtime: the one seam between the handler API and the
/// roles. The worker pool answers at once; the sequencer answers inside the update's
/// transaction, through its outbox, so that nothing a serial handler does reaches the world
/// before its update commits. `TGClusterTesting`'s handler tester records instead.
///
/// The handler API knows no role, no socket and no runtime table: everything below is named
/// by what a handler means, not by how a role does it.
package protocol HandlerEffects: Sendable {
    /// True in the sequencer: calls and jobs are deferred until the update commits.
    var isSerial: Bool { get }

    /// A Bot API call with JSON parameters: its response body (empty when deferred).
    func call(method: String, json: Data) async throws -> Data
    /// A call a serial handler sent at once and does not wait for (a button's answer): the
    /// sequencer lets it run; the tester waits for it before it reads the calls made.
    func sentAtOnce(_ call: Task<Void, Never>)

    /// The bot's named job `name` in the pool (`runAsync`).
    func runAsync(_ name: String, input: Data) throws -> JobPromise

    /// Whether one more update under `key` fits `rate` a second with bursts of `burst`, on the
    /// host's shared table (`RateLimit`); if it does, it is counted.
    func admit(rateKey key: UInt64, rate: Double, burst: Double) -> Bool

    /// A job waits on another: lend its slot to the pool meanwhile (no nested deadlock).
    func lend()
    /// The waiting job resumed.
    func reclaim()

    /// Applies a JobQueue change, once; the ids it touched.
    func schedule(_ request: ScheduleRequest) async throws -> [Int64]
    /// The active scheduled jobs, by name and/or chat, soonest first.
    func scheduledJobs(named name: String?, chatID: Int64?) async throws -> [ScheduledJob]

    /// Runs `body` on the shared store inside the update's transaction (serial only).
    func withStore<T>(_ body: (Database) throws -> T) throws -> T
    /// A conversation's record under `key` (serial only): a declared one's by its name, the
    /// one `ctx.conversation` keeps under the empty name.
    func dialogue(_ name: String, key: String) throws -> DialogueRecord?
    /// Stores it, or forgets it when nil (serial only).
    func setDialogue(_ record: DialogueRecord?, name: String, key: String) throws
    /// The values kept under `scope` (`u<user>`, `c<chat>`), the same object for the whole
    /// handler; written back when it returns (serial only).
    func storedValues(_ scope: String) throws -> StoredValues
    /// Passes this update on to concurrent handler `index`, run after the commit in the chat's
    /// order (serial only: a conversation that did not want the update).
    func handOff(handler index: UInt16, update: Data) throws
    /// How an outbox job emitted earlier stands (serial only).
    func outboxJob(id: Int64) throws -> OutboxJobState?

    /// The shared store opened by this process, for a job's own commuting writes (pool only).
    func database() throws -> DatabaseQueue
}
