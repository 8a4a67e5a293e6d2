/// A job that ended without a result.
public struct JobError: Error, CustomStringConvertible, Sendable {
    public var job: String
    public var reason: String
    public var description: String { "job \(job) failed: \(reason)" }

    public init(job: String, reason: String) {
        self.job = job
        self.reason = reason
    }
}
