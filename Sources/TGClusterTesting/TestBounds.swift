import Foundation

/// How much a test may allow for a slow run: the bounds that say "not stuck" (a wait's timeout,
/// an upper bound on how long something took) are multiplied by `slowdown`, which is 1 unless
/// `TGCLUSTER_TEST_SLOWDOWN` says otherwise — `scripts/sanitize` sets it, since every process
/// of an instrumented run is several times slower (ThreadSanitizer 5–15×, AddressSanitizer
/// 2–3×). Lower bounds ("it waited at least the retry_after") and counts never scale: a
/// sanitizer makes nothing faster, and a count that changes with speed is a bug, not slowness.
public enum TestBounds {
    /// The factor for upper bounds on time; at least 1.
    public static let slowdown: Double = {
        let raw = ProcessInfo.processInfo.environment["TGCLUSTER_TEST_SLOWDOWN"].flatMap(Double.init) ?? 1
        return raw.isFinite ? max(1, raw) : 1
    }()

    /// The sanitizer the run is instrumented with (`thread`, `address`), from
    /// `TGCLUSTER_SANITIZER`; nil for a plain build.
    public static let sanitizer: String? = ProcessInfo.processInfo.environment["TGCLUSTER_SANITIZER"].flatMap { $0.isEmpty ? nil : $0 }

    /// Whether a process's resident memory says what the code holds: not under a sanitizer
    /// (AddressSanitizer's quarantine keeps freed memory for a while, and both sanitizers' shadow
    /// memory multiplies every allocation's cost).
    public static var memoryIsMeasurable: Bool { sanitizer == nil }

    /// `bound` allowing for the run's slowdown: for timeouts and "took less than" checks.
    public static func notStuck(_ bound: Duration) -> Duration {
        slowdown == 1 ? bound : bound * slowdown
    }
}
