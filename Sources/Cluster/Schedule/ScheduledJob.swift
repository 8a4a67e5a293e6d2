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
}

/// One operation on the JobQueue, as the sequencer applies it (the remote path's wire format).
struct ScheduleRequest: Codable, Sendable {
    enum Operation: String, Codable, Sendable { case add, cancel, cancelNamed, pause, resume }
    var operation: Operation
    /// Makes `add` idempotent: the same request applied twice adds one job.
    var token: String?
    var id: Int64?
    var name: String?
    var callback: String?
    var payload: Data?
    var chatID: Int64?
    var userID: Int64?
    var trigger: Trigger?
    var misfire: MisfirePolicy?
    var grace: Double?
    /// `add` keeps an active job of the same name instead (start-up jobs across restarts).
    var keepExisting: Bool?

    static let jobName = "tgcluster.serial.schedule"
}

/// What the timer callback's outbox job carries.
struct Firing: Codable, Sendable {
    static let jobName = "tgcluster.fire"
    var scheduleID: Int64
    var name: String
    var callback: String
    var payload: Data
    var chatID: Int64?
    var userID: Int64?
    var scheduledFor: Date
}
