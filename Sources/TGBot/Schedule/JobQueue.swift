import Foundation
import GRDB

/// The durable JobQueue (python-telegram-bot's `JobQueue`, stored): jobs are rows in the
/// sequencer's store, the sequencer owns the clock, and each firing is recorded and handed to
/// the pool in one transaction, so no crash loses or doubles one. Callbacks are the bot's
/// timers (`bot.timer(name) { payload, ctx in ... }`) and run in the worker pool.
///
/// ```swift
/// try await ctx.jobQueue.runOnce("beep", after: .seconds(30), name: "timer-\(chat)", payload: 30, chatID: chat)
/// try await ctx.jobQueue.runDaily("report", at: DayTime(hour: 9), timeZone: "Europe/Berlin", payload: "daily")
/// try await ctx.jobQueue.cancel(name: "timer-\(chat)", chatID: chat)
/// ```
///
/// From a serial handler the change is part of the update's transaction; from a concurrent
/// handler or a job it is sent to the sequencer and applied there, once (each request carries
/// an idempotency token), and the call returns when it has committed.
public struct JobQueue: Sendable {
    let effects: any HandlerEffects

    package init(effects: any HandlerEffects) {
        self.effects = effects
    }

    // MARK: - Scheduling

    /// Runs `callback` once at `date`.
    @discardableResult
    public func runOnce<P: Encodable>(_ callback: String, at date: Date, name: String? = nil, payload: P, chatID: Int64? = nil,
                                      userID: Int64? = nil, misfire: MisfirePolicy = .runOnce, grace: Duration = .seconds(60)) async throws -> Int64 {
        try await schedule(callback, .once(date), name: name, payload: payload, chatID: chatID, userID: userID, misfire: misfire, grace: grace)
    }

    /// Runs `callback` once, `delay` from now.
    @discardableResult
    public func runOnce<P: Encodable>(_ callback: String, after delay: Duration, name: String? = nil, payload: P, chatID: Int64? = nil,
                                      userID: Int64? = nil, misfire: MisfirePolicy = .runOnce, grace: Duration = .seconds(60)) async throws -> Int64 {
        try await runOnce(callback, at: Date().addingTimeInterval(delay.seconds), name: name, payload: payload, chatID: chatID,
                          userID: userID, misfire: misfire, grace: grace)
    }

    /// Runs `callback` every `interval`, first at `first` (default: one interval from now), until `last`.
    @discardableResult
    public func runRepeating<P: Encodable>(_ callback: String, every interval: Duration, first: Date? = nil, last: Date? = nil,
                                           name: String? = nil, payload: P, chatID: Int64? = nil, userID: Int64? = nil,
                                           misfire: MisfirePolicy = .runOnce, grace: Duration = .seconds(60)) async throws -> Int64 {
        let start = first ?? Date().addingTimeInterval(interval.seconds)
        return try await schedule(callback, .every(seconds: interval.seconds, first: start, last: last), name: name, payload: payload,
                                  chatID: chatID, userID: userID, misfire: misfire, grace: grace)
    }

    /// Runs `callback` every day at `time` in `timeZone`, on ISO weekdays `days` (1 = Monday … 7 = Sunday).
    @discardableResult
    public func runDaily<P: Encodable>(_ callback: String, at time: DayTime, days: Set<Int>? = nil, timeZone: String = "UTC",
                                       name: String? = nil, payload: P, chatID: Int64? = nil, userID: Int64? = nil,
                                       misfire: MisfirePolicy = .runOnce, grace: Duration = .seconds(60)) async throws -> Int64 {
        try await schedule(callback, .daily(time: time, days: days, timeZone: timeZone), name: name, payload: payload,
                           chatID: chatID, userID: userID, misfire: misfire, grace: grace)
    }

    /// Runs `callback` on day `day` of every month (clamped to the month's last day) at `time`.
    @discardableResult
    public func runMonthly<P: Encodable>(_ callback: String, day: Int, at time: DayTime, timeZone: String = "UTC",
                                         name: String? = nil, payload: P, chatID: Int64? = nil, userID: Int64? = nil,
                                         misfire: MisfirePolicy = .runOnce, grace: Duration = .seconds(60)) async throws -> Int64 {
        try await schedule(callback, .monthly(day: day, time: time, timeZone: timeZone), name: name, payload: payload,
                           chatID: chatID, userID: userID, misfire: misfire, grace: grace)
    }

    /// Runs `callback` by a cron expression (`"*/5 9-17 * * 1-5"`).
    @discardableResult
    public func runCron<P: Encodable>(_ callback: String, _ expression: String, timeZone: String = "UTC",
                                      name: String? = nil, payload: P, chatID: Int64? = nil, userID: Int64? = nil,
                                      misfire: MisfirePolicy = .runOnce, grace: Duration = .seconds(60)) async throws -> Int64 {
        _ = try CronExpression(expression)
        return try await schedule(callback, .cron(expression, timeZone: timeZone), name: name, payload: payload,
                                  chatID: chatID, userID: userID, misfire: misfire, grace: grace)
    }

    /// Any trigger.
    @discardableResult
    public func schedule<P: Encodable>(_ callback: String, _ trigger: Trigger, name: String? = nil, payload: P, chatID: Int64? = nil,
                                       userID: Int64? = nil, misfire: MisfirePolicy = .runOnce, grace: Duration = .seconds(60)) async throws -> Int64 {
        var r = ScheduleRequest(operation: .add, token: UUID().uuidString)
        r.callback = callback
        r.name = name
        r.payload = try JSONEncoder().encode(payload)
        r.chatID = chatID
        r.userID = userID
        r.trigger = trigger
        r.misfire = misfire
        r.grace = grace.seconds
        return try await apply(r).first ?? 0
    }

    // MARK: - Managing

    /// Cancels job `id`; false if it was not active.
    @discardableResult
    public func cancel(_ id: Int64) async throws -> Bool {
        try await !apply(ScheduleRequest(operation: .cancel, id: id)).isEmpty
    }

    /// Cancels the active jobs named `name` (in `chatID` only, if given); how many.
    @discardableResult
    public func cancel(name: String, chatID: Int64? = nil) async throws -> Int {
        try await apply(ScheduleRequest(operation: .cancelNamed, name: name, chatID: chatID)).count
    }

    @discardableResult
    public func pause(_ id: Int64) async throws -> Bool {
        try await !apply(ScheduleRequest(operation: .pause, id: id)).isEmpty
    }

    @discardableResult
    public func resume(_ id: Int64) async throws -> Bool {
        try await !apply(ScheduleRequest(operation: .resume, id: id)).isEmpty
    }

    /// The active jobs, by name and/or chat, soonest first.
    public func jobs(named name: String? = nil, chatID: Int64? = nil) async throws -> [ScheduledJob] {
        try await effects.scheduledJobs(named: name, chatID: chatID)
    }

    private func apply(_ request: ScheduleRequest) async throws -> [Int64] {
        try await effects.schedule(request)
    }
}
