/// Durations as flags spell them: `50ms`, `2s`, `1.5s`, `250us`, `1m`; a bare number is milliseconds.
public enum DurationText {
    public static func parse(_ text: String) -> Duration? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("µs", 1e-6), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where t.hasSuffix(suffix) {
            guard let v = Double(t.dropLast(suffix.count)), v >= 0, v.isFinite else { return nil }
            return .nanoseconds(Int64((v * scale * 1e9).rounded()))
        }
        guard let v = Double(t), v >= 0, v.isFinite else { return nil }
        return .nanoseconds(Int64((v * 1e6).rounded()))
    }
}

import Foundation
