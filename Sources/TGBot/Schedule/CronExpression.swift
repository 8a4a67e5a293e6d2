import Foundation

/// A five-field cron expression: minute (0-59), hour (0-23), day of month (1-31), month
/// (1-12), day of week (0-7, 0 and 7 = Sunday). Each field is `*`, a number, a range `a-b`, a
/// list `a,b`, and any of them with a step `/n`. As in Vixie cron, when both day fields are
/// restricted a day matching either runs.
public struct CronExpression: Sendable, Equatable {
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public init(_ text: String) throws {
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 else { throw CronError("a cron expression has 5 fields, got \(fields.count): \(text)") }
        minutes = try Self.field(fields[0], 0...59)
        hours = try Self.field(fields[1], 0...23)
        days = try Self.field(fields[2], 1...31)
        months = try Self.field(fields[3], 1...12)
        weekdays = Set(try Self.field(fields[4], 0...7).map { $0 % 7 })
        daysRestricted = fields[2] != "*"
        weekdaysRestricted = fields[4] != "*"
    }

    static func field(_ text: String, _ range: ClosedRange<Int>) throws -> Set<Int> {
        var out = Set<Int>()
        // Empty pieces kept: "5/", "/5", "1,,2" are errors, not "5" (and "/" alone trapped on
        // an empty split before the cron fuzz target found it).
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            let step = pieces.count == 2 ? Int(pieces[1]) : 1
            guard let step, step > 0 else { throw CronError("bad step in \(part)") }
            let span: ClosedRange<Int>
            if pieces[0] == "*" {
                span = range
            } else if let dash = pieces[0].firstIndex(of: "-") {
                guard let a = Int(pieces[0][..<dash]), let b = Int(pieces[0][pieces[0].index(after: dash)...]), a <= b,
                      range.contains(a), range.contains(b) else { throw CronError("bad range \(part)") }
                span = a...b
            } else {
                guard let a = Int(pieces[0]), range.contains(a) else { throw CronError("bad value \(part) (allowed \(range))") }
                span = pieces.count == 2 ? a...range.upperBound : a...a
            }
            out.formUnion(stride(from: span.lowerBound, through: span.upperBound, by: step))
        }
        guard !out.isEmpty else { throw CronError("empty field \(text)") }
        return out
    }

    func dayMatches(_ day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): return days.contains(day) || weekdays.contains(weekday)
        case (true, false): return days.contains(day)
        case (false, true): return weekdays.contains(weekday)
        case (false, false): return true
        }
    }

    /// The first matching minute strictly after `date`, within about five years.
    public func next(after date: Date, calendar cal: Calendar) -> Date? {
        guard var t = cal.date(byAdding: .minute, value: 1, to: date),
              let floored = cal.date(from: cal.dateComponents([.year, .month, .day, .hour, .minute], from: t)) else { return nil }
        t = floored
        for _ in 0..<100_000 {
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: t)
            guard let month = c.month, let day = c.day, let hour = c.hour, let minute = c.minute, let weekday = c.weekday else { return nil }
            if !months.contains(month) {
                guard let start = cal.date(from: DateComponents(year: c.year, month: month, day: 1)),
                      let n = cal.date(byAdding: .month, value: 1, to: start) else { return nil }
                t = n
            } else if !dayMatches(day, weekday: weekday - 1) {
                guard let n = cal.date(byAdding: .day, value: 1, to: cal.startOfDay(for: t)) else { return nil }
                t = n
            } else if !hours.contains(hour) {
                guard let start = cal.date(from: DateComponents(year: c.year, month: month, day: day, hour: hour)),
                      let n = cal.date(byAdding: .hour, value: 1, to: start) else { return nil }
                t = n
            } else if !minutes.contains(minute) {
                guard let n = cal.date(byAdding: .minute, value: 1, to: t) else { return nil }
                t = n
            } else {
                return t
            }
        }
        return nil
    }
}

public struct CronError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ d: String) { description = d }
}
