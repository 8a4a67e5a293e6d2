/// Telegram's flood limits as token buckets, with a clock passed in (so tests need no sleep).
///
/// Per the Bot API FAQ: about one message per second in a chat (short bursts allowed), 20 per
/// minute in a group, about 30 per second overall. A refused call learns how long to wait:
/// the time until its bucket has a token again, rounded up to whole seconds as `retry_after` is.
public struct FloodLimiter: Sendable {
    public struct Limits: Sendable, Equatable {
        public var perChatRate: Double = 1
        public var perChatBurst: Double = 3
        public var perGroupRate: Double = 20.0 / 60.0
        public var perGroupBurst: Double = 20
        public var globalRate: Double = 30
        public var globalBurst: Double = 30

        public init() {}
    }

    struct Bucket {
        var tokens: Double
        var updated: Double
    }

    public var limits: Limits
    private var chats: [Int64: Bucket] = [:]
    private var global: Bucket?

    public init(limits: Limits = .init()) { self.limits = limits }

    /// Takes a token for a message to `chatID` at `now` (seconds), or returns the whole
    /// seconds to wait when a limit is hit (and takes nothing).
    public mutating func admit(chatID: Int64, now: Double) -> Int? {
        let group = chatID < 0
        let rate = group ? limits.perGroupRate : limits.perChatRate
        let burst = group ? limits.perGroupBurst : limits.perChatBurst
        var chat = refill(chats[chatID] ?? Bucket(tokens: burst, updated: now), rate: rate, burst: burst, now: now)
        var all = refill(global ?? Bucket(tokens: limits.globalBurst, updated: now), rate: limits.globalRate, burst: limits.globalBurst, now: now)
        var wait = 0.0
        if chat.tokens < 1 { wait = max(wait, (1 - chat.tokens) / rate) }
        if all.tokens < 1 { wait = max(wait, (1 - all.tokens) / limits.globalRate) }
        if wait > 0 {
            chats[chatID] = chat
            global = all
            return max(1, Int(wait.rounded(.up)))
        }
        chat.tokens -= 1
        all.tokens -= 1
        chats[chatID] = chat
        global = all
        return nil
    }

    private func refill(_ b: Bucket, rate: Double, burst: Double, now: Double) -> Bucket {
        Bucket(tokens: min(burst, b.tokens + max(0, now - b.updated) * rate), updated: max(now, b.updated))
    }
}
