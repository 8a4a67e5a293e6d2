import Foundation

/// The broker gave up on a job: the bot's error handler hears of it in the pool, without the
/// job's handler running again.
public struct DeadLetterNotice: Sendable, Equatable {
    /// The update's id, when the job was an update.
    public var updateID: Int64?
    public var reason: String
    /// The update as Telegram sent it (empty when the job was not an update).
    public var update: Data

    public init(updateID: Int64?, reason: String, update: Data = Data()) {
        self.updateID = updateID
        self.reason = reason
        self.update = update
    }
}
