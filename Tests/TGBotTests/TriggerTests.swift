import Foundation
import Testing
@testable import TGBot

/// The JobQueue's triggers: next occurrences, without a clock.
@Suite("Trigger")
struct TriggerTests {
    static func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func every_keepsItsCadenceAnchoredAtFirst_andStopsAfterLast() {
        let first = Self.date("2026-01-01T00:00:00Z")
        let t = Trigger.every(seconds: 0.5, first: first, last: first.addingTimeInterval(2))
        #expect(t.first(from: first) == first)
        #expect(t.next(after: first) == first.addingTimeInterval(0.5))
        // However late the previous run was, the next one is on the grid.
        #expect(t.next(after: first.addingTimeInterval(1.2)) == first.addingTimeInterval(1.5))
        #expect(t.next(after: first.addingTimeInterval(2)) == nil)
        // A previous run read back from the store a rounding error low still advances.
        let real = Date(timeIntervalSince1970: 1_796_190_000.123456)
        let fine = Trigger.every(seconds: 0.1, first: real, last: nil)
        var at = real
        for _ in 0..<1000 {
            let next = fine.next(after: Date(timeIntervalSince1970: at.timeIntervalSince1970.nextDown))!
            #expect(next > Date(timeIntervalSince1970: at.timeIntervalSince1970.nextDown))
            at = Date(timeIntervalSince1970: Double(String(next.timeIntervalSince1970))!)
        }
    }

    @Test func once_runsOnce() {
        let at = Self.date("2026-03-01T12:00:00Z")
        #expect(Trigger.once(at).first(from: .distantPast) == at)
        #expect(Trigger.once(at).next(after: at) == nil)
    }

    @Test func daily_inItsTimeZone_onItsWeekdays() {
        // 2026-01-05 is a Monday. 09:30 in Berlin (UTC+1 in winter) is 08:30 UTC.
        let t = Trigger.daily(time: DayTime(hour: 9, minute: 30), days: [1, 3], timeZone: "Europe/Berlin")
        #expect(t.next(after: Self.date("2026-01-05T08:00:00Z")) == Self.date("2026-01-05T08:30:00Z"))
        #expect(t.next(after: Self.date("2026-01-05T08:30:00Z")) == Self.date("2026-01-07T08:30:00Z"))
        #expect(t.next(after: Self.date("2026-01-07T09:00:00Z")) == Self.date("2026-01-12T08:30:00Z"))
        // Summer time: 09:30 Berlin is 07:30 UTC.
        #expect(Trigger.daily(time: DayTime(hour: 9, minute: 30), days: nil, timeZone: "Europe/Berlin")
            .next(after: Self.date("2026-07-01T00:00:00Z")) == Self.date("2026-07-01T07:30:00Z"))
    }

    @Test func monthly_clampsToTheLastDayOfShortMonths() {
        let t = Trigger.monthly(day: 31, time: DayTime(hour: 8), timeZone: "UTC")
        #expect(t.next(after: Self.date("2026-01-31T09:00:00Z")) == Self.date("2026-02-28T08:00:00Z"))
        #expect(t.next(after: Self.date("2026-02-28T08:00:00Z")) == Self.date("2026-03-31T08:00:00Z"))
    }

    @Test func cron_fieldsRangesStepsAndEitherDayRule() throws {
        let cal = Trigger.calendar("UTC")
        let weekdays = try CronExpression("*/15 9-17 * * 1-5")
        #expect(weekdays.next(after: Self.date("2026-01-09T17:50:00Z"), calendar: cal) == Self.date("2026-01-12T09:00:00Z"))  // Fri → Mon
        #expect(weekdays.next(after: Self.date("2026-01-12T09:00:00Z"), calendar: cal) == Self.date("2026-01-12T09:15:00Z"))
        let firstOrSunday = try CronExpression("0 0 1 * 0")
        #expect(firstOrSunday.next(after: Self.date("2026-01-02T00:00:00Z"), calendar: cal) == Self.date("2026-01-04T00:00:00Z"))
        let yearly = try CronExpression("30 6 29 2 *")
        #expect(yearly.next(after: Self.date("2026-03-01T00:00:00Z"), calendar: cal) == Self.date("2028-02-29T06:30:00Z"))
        // "/" alone trapped (found by the cron fuzz target); "5/", "/5" and "1,,2" were read as "5", "5" and "1,2".
        for bad in ["* * * *", "60 * * * *", "*/0 * * * *", "5-1 * * * *", "a * * * *", "0 / * * *", "5/ * * * *", "/5 * * * *", "1,,2 * * * *"] {
            #expect(throws: CronError.self) { try CronExpression(bad) }
        }
    }

    @Test func triggers_roundTripThroughTheStoresJSON() throws {
        let all: [Trigger] = [.once(Self.date("2026-01-01T00:00:00Z")), .every(seconds: 2, first: Self.date("2026-01-01T00:00:00Z"), last: nil),
                              .daily(time: DayTime(hour: 1, minute: 2, second: 3), days: [7], timeZone: "Asia/Tokyo"),
                              .monthly(day: 15, time: DayTime(hour: 0), timeZone: "UTC"), .cron("0 * * * *", timeZone: "UTC")]
        for t in all {
            #expect(try JSONDecoder().decode(Trigger.self, from: JSONEncoder().encode(t)) == t)
        }
    }
}
