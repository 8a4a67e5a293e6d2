import ArgumentParser
import Foundation

/// The one way a flag spells a duration, for the roles and the `tgcluster` tool alike: a
/// number and a unit, `250us`, `50ms`, `2s`, `1.5m`, `1h`; `0` alone is zero. A bare number
/// is refused rather than guessed (`--deadline 60` could mean seconds or milliseconds).
package enum DurationText {
    private static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1), ("m", 60), ("h", 3600),
    ]

    /// The duration, or nil when `text` is not one (negative, no unit, not a number).
    package static func parse(_ text: String) -> Duration? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "0" { return .zero }
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v >= 0, v.isFinite, v * scale < 1e9 else { return nil }
            return .nanoseconds(Int64((v * scale * 1e9).rounded()))
        }
        return nil
    }

    /// The duration of flag `--flag`, or a validation error that names the flag and an example.
    package static func parse(_ text: String, flag: String) throws -> Duration {
        guard let d = parse(text) else { throw ValidationError("--\(flag): not a duration: \(text) (a number and a unit: 500ms, 30s, 2m)") }
        return d
    }
}
