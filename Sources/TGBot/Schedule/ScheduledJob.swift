import Foundation

/// What happens to the runs of a job that came due while the cluster was down (or so busy
/// that it is later than its grace period), as in APScheduler.
public enum MisfirePolicy: String, Codable, Sendable {
    /// Run once, late, for all the runs missed (the default; APScheduler's `coalesce`).
    case runOnce = "once"
    /// Run every missed time, late.
    case runAll = "all"
    /// Skip the missed runs; go on with the next one due.
    case skip
}

/// A job in the JobQueue, as listed.
public struct ScheduledJob: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    /// The bot's timer callback (`bot.timer(name)`) that runs it.
    public var callback: String
    public var chatID: Int64?
    public var userID: Int64?
    public var trigger: Trigger
    /// nil once it will not run again (done or cancelled).
    public var nextRun: Date?
    public var paused: Bool
    public var runs: Int
    public var misfire: MisfirePolicy
    public var grace: Double

    package init(id: Int64, name: String, callback: String, chatID: Int64?, userID: Int64?, trigger: Trigger, nextRun: Date?,
                 paused: Bool, runs: Int, misfire: MisfirePolicy, grace: Double) {
        self.id = id
        self.name = name
        self.callback = callback
        self.chatID = chatID
        self.userID = userID
        self.trigger = trigger
        self.nextRun = nextRun
        self.paused = paused
        self.runs = runs
        self.misfire = misfire
        self.grace = grace
    }
}

/// One operation on the JobQueue, as the sequencer applies it (JSON in a SCHEDULE command).
package struct ScheduleRequest: Codable, Sendable {
    package enum Operation: String, Codable, Sendable { case add, cancel, cancelNamed, pause, resume }
    package var operation: Operation
    /// Makes `add` idempotent: the same request applied twice adds one job.
    package var token: String?
    package var id: Int64?
    package var name: String?
    package var callback: String?
    package var payload: Data?
    package var chatID: Int64?
    package var userID: Int64?
    package var trigger: Trigger?
    package var misfire: MisfirePolicy?
    package var grace: Double?
    /// `add` keeps an active job of the same name instead (start-up jobs across restarts).
    package var keepExisting: Bool?

    package init(operation: Operation, token: String? = nil, id: Int64? = nil, name: String? = nil, chatID: Int64? = nil) {
        self.operation = operation
        self.token = token
        self.id = id
        self.name = name
        self.chatID = chatID
    }
}
