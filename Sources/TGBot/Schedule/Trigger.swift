import Foundation

/// When a scheduled job runs: once, at a fixed interval, daily, monthly, or by a cron
/// expression. Pure: the next occurrence is computed from the previous one, so a restarted
/// sequencer picks up exactly where the schedule was (and catches up per the misfire policy).
public enum Trigger: Codable, Sendable, Equatable {
    /// At one instant.
    case once(Date)
    /// Every `seconds`, from `first`, until `last` (inclusive) if given.
    case every(seconds: Double, first: Date, last: Date?)
    /// At a time of day in `timeZone`, on ISO weekdays `days` (1 = Monday … 7 = Sunday; nil = every day).
    case daily(time: DayTime, days: Set<Int>?, timeZone: String)
    /// On day `day` of every month (clamped to the month's last day) at `time` in `timeZone`.
    case monthly(day: Int, time: DayTime, timeZone: String)
    /// A cron expression (minute hour day-of-month month day-of-week) in `timeZone`.
    case cron(String, timeZone: String)

    /// The first occurrence at or after `start`.
    public func first(from start: Date) -> Date? {
        switch self {
        case .once(let at): return at
        case .every(_, let first, let last):
            if let last, first > last { return nil }
            return first
        default: return next(after: start.addingTimeInterval(-0.001))
        }
    }

    /// The first occurrence strictly after `previous`.
    public func next(after previous: Date) -> Date? {
        switch self {
        case .once:
            return nil
        case .every(let seconds, let first, let last):
            guard seconds > 0 else { return nil }
            // Keep the cadence anchored at `first`, whatever `previous` is; a previous run read
            // back from the store may sit a rounding error below its grid point.
            var n = max(0, (previous.timeIntervalSince(first) / seconds + 1e-6).rounded(.down) + 1)
            if first.addingTimeInterval(n * seconds) <= previous { n += 1 }
            let next = first.addingTimeInterval(n * seconds)
            if let last, next > last { return nil }
            return next
        case .daily(let time, let days, let zone):
            let cal = Self.calendar(zone)
            var day = cal.startOfDay(for: previous)
            for _ in 0..<9 {
                if let candidate = time.on(day, cal), candidate > previous,
                   days.map({ $0.contains(Self.isoWeekday(candidate, cal)) }) ?? true {
                    return candidate
                }
                guard let tomorrow = cal.date(byAdding: .day, value: 1, to: day) else { return nil }
                day = tomorrow
            }
            return nil
        case .monthly(let dayOfMonth, let time, let zone):
            let cal = Self.calendar(zone)
            var month = cal.date(from: cal.dateComponents([.year, .month], from: previous))!
            for _ in 0..<14 {
                let length = cal.range(of: .day, in: .month, for: month)?.count ?? 28
                if let day = cal.date(byAdding: .day, value: min(max(dayOfMonth, 1), length) - 1, to: month),
                   let candidate = time.on(day, cal), candidate > previous {
                    return candidate
                }
                guard let following = cal.date(byAdding: .month, value: 1, to: month) else { return nil }
                month = following
            }
            return nil
        case .cron(let expression, let zone):
            return (try? CronExpression(expression))?.next(after: previous, calendar: Self.calendar(zone))
        }
    }

    static func calendar(_ zone: String) -> Calendar {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: zone) ?? TimeZone(secondsFromGMT: 0)!
        return cal
    }

    /// 1 = Monday … 7 = Sunday.
    static func isoWeekday(_ date: Date, _ cal: Calendar) -> Int {
        let w = cal.component(.weekday, from: date)  // 1 = Sunday
        return w == 1 ? 7 : w - 1
    }
}

/// A time of day.
public struct DayTime: Codable, Sendable, Equatable {
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(hour: Int, minute: Int = 0, second: Int = 0) {
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// This time on the day that starts at `day`, in `cal`'s time zone (a time skipped by a
    /// daylight-saving change moves to the next valid time).
    func on(_ day: Date, _ cal: Calendar) -> Date? {
        var c = cal.dateComponents([.year, .month, .day], from: day)
        c.hour = hour
        c.minute = minute
        c.second = second
        return cal.date(from: c)
    }
}
