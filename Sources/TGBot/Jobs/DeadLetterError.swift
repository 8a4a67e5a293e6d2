/// The error the error handler sees for a dead-lettered update: the broker gave up on it after
/// its attempts (its worker died each time, or it ran past the deadline).
public struct DeadLetterError: Error, CustomStringConvertible, Sendable {
    public var updateID: Int64?
    public var reason: String
    public var description: String { "update \(updateID.map(String.init) ?? "?") dead-lettered: \(reason)" }

    public init(updateID: Int64?, reason: String) {
        self.updateID = updateID
        self.reason = reason
    }
}
