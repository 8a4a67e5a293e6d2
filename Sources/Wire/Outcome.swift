/// How a job ended.
public enum Outcome: UInt8, Sendable {
    /// Finished; `output` is its result.
    case ok = 0
    /// The handler threw: reported to the error handler, not retried (output: the error text).
    case failed = 1
    /// Given up after its attempts (the worker running it died each time, or it hung).
    case deadLettered = 2
}
