import BotAPI
import Foundation
import Logging
import TGBot
import Wire

/// What a worker does with one job, without sockets: runs the handler, named job, timer,
/// deferred Bot API call or dead-letter report it names against `effects`, and returns the
/// outcome and output for DONE. `WorkerService` wraps it with the hang watchdog and the link;
/// `TGClusterTesting`'s `BotTester` runs concurrent handlers and outbox jobs through it.
package struct JobRunner: Sendable {
    let bot: Bot
    let client: BotClient
    let logger: Logger
    let effects: any HandlerEffects

    package init(bot: Bot, client: BotClient, logger: Logger, effects: any HandlerEffects) {
        self.bot = bot
        self.client = client
        self.logger = logger
        self.effects = effects
    }

    /// What a job is, for the hang watchdog's log line.
    package static func describe(_ job: Job) -> String {
        switch job.payload {
        case .update(_, let envelope): return describe(update: envelope.updateID)
        case .apply(_, let envelope, _): return "update \(envelope.updateID), second step"
        case .outbox(_, .job(let name, _)), .task(let name, _): return "job \(name)"
        case .outbox(_, .call(let method, _, _)): return "call \(method)"
        case .outbox(_, .fire(let firing)): return "timer \(firing.callback)"
        case .outbox(_, .handler(let index, _)): return "handler \(index), passed on"
        case .deadLetter: return "dead-letter notice"
        case .schedule: return "JobQueue change"
        }
    }

    /// What an update's job (its first step) is, for the same line: the watchdog keeps such a
    /// job as its update's id alone.
    package static func describe(update id: Int64) -> String { "update \(id)" }

    /// What a job is, as a metrics label: the handler's label (from `handlerLabels`, the bot's
    /// table read once at start rather than per job), `job:<name>`, `timer:<name>`, `call`; a set
    /// fixed by the bot, never an id.
    static func label(_ job: Job, handlerLabels: [String]) -> String {
        switch job.payload {
        case .update(let index, _), .apply(let index, _, _):
            return handlerLabel(index, handlerLabels)
        case .outbox(_, .job(let name, _)), .task(let name, _): return "job:" + name
        case .outbox(_, .call): return "call"
        case .outbox(_, .fire(let firing)): return "timer:" + firing.callback
        case .outbox(_, .handler(let index, _)): return handlerLabel(index, handlerLabels)
        case .deadLetter: return "dead-letter"
        case .schedule: return "schedule"
        }
    }

    /// The handler a job runs (an update's, a two-step handler's second step, a deferred
    /// handler call); nil for other jobs.
    static func handlerIndex(_ job: Job) -> Int? {
        switch job.payload {
        case .update(let index, _), .apply(let index, _, _), .outbox(_, .handler(let index, _)): Int(index)
        default: nil
        }
    }

    /// The label of handler `index`.
    static func handlerLabel(_ index: UInt16, _ labels: [String]) -> String {
        Int(index) < labels.count ? labels[Int(index)] : "handler \(index)"
    }

    @inline(__always)
    package func run(_ job: Job) async -> (Outcome, Data) {
        // An update, the common job, first and alone: an async function's frame holds what any
        // of its paths keeps across an await, and Swift's task allocator takes frames in ~1 KiB
        // slabs, each a malloc beyond the first (ten per echo job when every kind shared this
        // frame; issue 13, docs/BENCHMARKS.md "The allocator").
        if case .update(let index, let envelope) = job.payload {
            return await handle(index: Int(index), envelope.raw, attempt: Int(job.attempt))
        }
        return await runOther(job)
    }

    /// Every job but an update's (`run` takes those; the case is here for the switch alone).
    @inline(never)
    private func runOther(_ job: Job) async -> (Outcome, Data) {
        switch job.payload {
        case .update(let index, let envelope):
            return await handle(index: Int(index), envelope.raw, attempt: Int(job.attempt))
        case .outbox(let outboxID, .job(let name, let input)):
            return await run(name: name, input: input, key: "outbox-\(outboxID)")
        case .outbox(let outboxID, .call(let method, let parameters, let updateID)):
            var logger = logger(key: "outbox-\(outboxID)")
            if let updateID { logger[metadataKey: "update_id"] = "\(updateID)" }
            return await deferredCall(method: method, parameters: parameters, updateID: updateID, logger: logger)
        case .outbox(let outboxID, .fire(let firing)):
            return await fire(firing, key: "outbox-\(outboxID)", logger: logger(key: "outbox-\(outboxID)"))
        case .outbox(_, .handler(let index, let update)):
            guard let raw = try? RawUpdate(bytes: update) else { return (.failed, Data("a passed-on update that does not scan".utf8)) }
            return await handle(index: Int(index), raw, attempt: Int(job.attempt))
        case .task(let name, let input):
            return await run(name: name, input: input, key: nil)
        case .deadLetter(let notice):
            await reportDeadLetter(notice)
            return (.ok, Data())
        case .schedule:
            return (.failed, Data("JobQueue changes are the sequencer's".utf8))
        case .apply:
            return (.failed, Data("a two-step handler's second step is the sequencer's".utf8))
        }
    }

    private func logger(key: String) -> Logger {
        var logger = self.logger
        logger[metadataKey: "job_key"] = "\(key)"
        return logger
    }

    /// A concurrent handler for an update; an error goes to the bot's error handler with it.
    /// A two-step handler's output is its first step's result, for the broker to pass on
    /// (empty: nothing to apply).
    @inline(__always)
    private func handle(index: Int, _ raw: RawUpdate, attempt: Int) async -> (Outcome, Data) {
        guard index < bot.handlerCount else { return (.failed, Data("no handler \(index)".utf8)) }
        // The context labels its logger with the update's id when a handler asks for it.
        let ctx = Context(raw: raw, client: client, logger: logger, attempt: attempt, effects: effects)
        do {
            return (.ok, try await bot.invoke(handler: index, ctx) ?? Data())
        } catch {
            return await handlerFailed(error, ctx)
        }
    }

    /// A handler's error: logged with the update's logger, then the bot's error handler.
    @inline(never)
    private func handlerFailed(_ error: any Error, _ ctx: Context) async -> (Outcome, Data) {
        ctx.logger.error("handler failed", metadata: ["error": "\(error)"])
        await bot.errorHandler?(error, ctx)
        return (.failed, Data("\(error)".utf8))
    }

    /// A named job (`runAsync`, or one a serial handler emitted); its output is the result.
    private func run(name: String, input: Data, key: String?) async -> (Outcome, Data) {
        var logger = self.logger
        logger[metadataKey: "job"] = "\(name)"
        if let key { logger[metadataKey: "job_key"] = "\(key)" }
        guard let body = bot.jobBody(name) else {
            logger.error("no job with this name is registered on the bot")
            return (.failed, Data("no job named \(name)".utf8))
        }
        do {
            let ctx = JobContext(client: client, logger: logger, key: key, effects: effects)
            return (.ok, try await body(input, ctx))
        } catch {
            logger.error("job failed", metadata: ["error": "\(error)"])
            await bot.errorHandler?(error, nil)
            return (.failed, Data("\(error)".utf8))
        }
    }

    /// A scheduled job came due: its timer callback runs here.
    private func fire(_ firing: TimerFiring, key: String, logger: Logger) async -> (Outcome, Data) {
        var logger = logger
        logger[metadataKey: "schedule_id"] = "\(firing.scheduleID)"
        guard let body = bot.timerBody(firing.callback) else {
            logger.error("no timer with this name is registered on the bot", metadata: ["timer": "\(firing.callback)"])
            return (.failed, Data("no timer named \(firing.callback)".utf8))
        }
        let ctx = TimerContext(client: client, logger: logger, scheduleID: firing.scheduleID, name: firing.name, chatID: firing.chatID,
                               userID: firing.userID, scheduledFor: Date(timeIntervalSince1970: firing.scheduledFor), key: key, effects: effects)
        do {
            try await body(firing.payload, ctx)
            return (.ok, Data())
        } catch {
            logger.error("timer failed", metadata: ["error": "\(error)"])
            await bot.errorHandler?(error, nil)
            return (.failed, Data("\(error)".utf8))
        }
    }

    /// A Bot API call a serial handler made (`reply`, `send`), now that its update committed.
    private func deferredCall(method: String, parameters: Data, updateID: Int64?, logger: Logger) async -> (Outcome, Data) {
        do {
            return (.ok, try await client.send(methodName: method, json: parameters).body)
        } catch {
            logger.error("deferred call failed", metadata: ["method": "\(method)", "error": "\(error)"])
            await bot.errorHandler?(DeferredCallError(method: method, parameters: parameters, updateID: updateID, underlying: error), nil)
            return (.failed, Data("\(error)".utf8))
        }
    }

    /// A poison update the broker gave up on reaches the bot's error handler here, without its
    /// handler running again.
    private func reportDeadLetter(_ notice: DeadLetterNotice) async {
        var logger = self.logger
        logger[metadataKey: "update_id"] = "\(notice.updateID ?? 0)"
        let error = DeadLetterError(updateID: notice.updateID, reason: notice.reason)
        logger.error("update dead-lettered", metadata: ["reason": "\(notice.reason)"])
        let ctx = (notice.update.isEmpty ? nil : try? RawUpdate(bytes: notice.update)).map {
            Context(raw: $0, client: client, logger: logger, attempt: 0, effects: effects)
        }
        await bot.errorHandler?(error, ctx)
    }
}
