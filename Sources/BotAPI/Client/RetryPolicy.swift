/// When and how long the client waits before repeating a failed call.
///
/// 429 waits the server's `retry_after`; network errors, 5xx and unparseable bodies back off
/// exponentially with full jitter, capped; any other 4xx is final and never repeated.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included; 1 disables retries.
    public var maxAttempts: Int = 5
    /// The first backoff's upper bound; doubles per attempt.
    public var baseDelay: Duration = .milliseconds(200)
    /// No backoff waits longer than this.
    public var maxDelay: Duration = .seconds(10)
    /// A 429 asking to wait longer than this is returned to the caller instead of waited out.
    public var maxRetryAfter: Duration = .seconds(60)

    public init() {}

    public static let none: RetryPolicy = {
        var p = RetryPolicy()
        p.maxAttempts = 1
        return p
    }()

    /// The backoff before attempt `attempt + 1` (attempt counts from 1): uniform in
    /// `0...min(maxDelay, baseDelay * 2^(attempt-1))` ("full jitter").
    public func backoff(afterAttempt attempt: Int, random: Double = Double.random(in: 0...1)) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let cap = min(maxDelay, baseDelay * (1 << exponent))
        return cap * random
    }
}
