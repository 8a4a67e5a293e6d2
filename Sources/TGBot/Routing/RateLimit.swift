import BotAPI

/// Middlewares that let each user (or chat) through at most so many updates (aiogram's
/// throttling middleware), counted on a table every process of the bot on the host shares: a
/// user's updates count the same whichever worker, or the sequencer, runs them.
///
/// ```swift
/// bot.use(RateLimit.perUser(5, per: .seconds(10)) { ctx in
///     try await ctx.reply("Slow down a little.")
/// })
/// let search = Router("search")
/// search.use(RateLimit.perUser(1, per: .seconds(3), name: "search"))   // a feature's own limit
/// ```
///
/// `count` updates may come at once, then `count` per `period` (a GCRA bucket, so a user who
/// pauses gets the burst back gradually). An update over the limit does not reach the handler;
/// `whenLimited` runs instead (nothing, by default). Updates with no user (or chat) pass. Keys
/// share 65,536 slots per host, so two users may now and then share a budget (the strict side);
/// a worker on another host counts on that host's own table; an update run again after a crash
/// counts again. Each limit is known by its `name`: two limits with one name share their counts.
public enum RateLimit {
    /// Whose updates are counted together.
    public enum Scope: String, Sendable {
        case user, chat
    }

    /// At most `count` updates per `period` from each user.
    public static func perUser(_ count: Int, per period: Duration, name: String = "default",
                               whenLimited: Bot.Handler? = nil) -> Bot.Middleware {
        middleware(.user, count, per: period, name: name, whenLimited: whenLimited)
    }

    /// At most `count` updates per `period` in each chat.
    public static func perChat(_ count: Int, per period: Duration, name: String = "default",
                               whenLimited: Bot.Handler? = nil) -> Bot.Middleware {
        middleware(.chat, count, per: period, name: name, whenLimited: whenLimited)
    }

    static func middleware(_ scope: Scope, _ count: Int, per period: Duration, name: String,
                           whenLimited: Bot.Handler?) -> Bot.Middleware {
        precondition(count > 0 && period > .zero, "a rate limit needs a count and a period")
        let rate = Double(count) / period.seconds
        let prefix = FNV1a.hash("\(name)/\(scope.rawValue)".utf8)
        return { ctx, next in
            guard let id = scope == .user ? ctx.userID : ctx.chatID else { return try await next(ctx) }
            if ctx.effects.admit(rateKey: prefix ^ UInt64(bitPattern: id), rate: rate, burst: Double(count)) {
                try await next(ctx)
            } else {
                ctx.logger.debug("rate-limited", metadata: ["limit": "\(name)", "scope": "\(scope.rawValue)"])
                try await whenLimited?(ctx)
            }
        }
    }
}
