import Atomics
import BotAPI
import Foundation
import Wire

/// Telegram's flood limits for the whole cluster: one table of GCRA buckets in a file that
/// every process of the bot on this machine maps (`<data-dir>/flood.shm`).
///
/// Each bucket is one 64-bit word updated by compare-and-swap, so a worker never waits on a
/// lock or a round trip to reserve a message slot, and the limit of a chat holds however its
/// updates are spread over the workers (a chat's consecutive jobs often land on different
/// ones). Chats map to 65,536 slots by a hash: two chats that share a slot share a budget,
/// which errs on the slow side. A worker host has a table of its own; a chat's budget travels
/// between the tables with its jobs (`budget`, `absorb`, the FLOOD frame), so a chat's limit
/// holds across hosts; the bot-wide rate, when set, is each host's own.
///
/// With a bot-wide rate set, a message reserves its chat's slot first and then the bot's at
/// the time the chat allows; it waits for both.
///
/// The limits learn from a 429: the chat's next message waits out `retry_after` (whichever
/// process sends it), and for `quietPeriod` (`--flood learn=600`) after the last 429 no chat or group gets a burst —
/// a server that refused a message the bucket let through tolerates less burst than the
/// profile assumed, and that is the server's rule, not one chat's, so every chat keeps to the
/// sustained rate until the server has been quiet that long. A 429 for a chat that had nothing
/// queued (its bucket held no message but the refused one) was not that chat's limit but the
/// bot's: for the same period the whole bot keeps to `learnedGlobalRate` (when no bot-wide rate
/// is set) and waits out `retry_after` (a backlog after an outage otherwise leaves faster than
/// the server's thirty a second). (Each host learns on its own.)
package final class FloodGate: FloodLimiting, @unchecked Sendable {
    static let slotCount = 1 << 16
    static let headerSize = 64
    static let magic: Int64 = 0x3244_4F4F_4C46_4754  // "TGFLOOD2", little-endian (2: the strict word)
    /// Header word: until when (monotonic ns) chats and groups get no burst (see above).
    static let strictOffset = 16
    /// Header word: until when (monotonic ns) the learned bot-wide rate applies (see above).
    static let botWideOffset = 24

    /// A stored time further ahead than this is not believed (see `GCRA.reserve`).
    static let horizon: Int64 = 15 * 60 * 1_000_000_000

    package let limits: FloodLimits
    /// How long after the last 429 the burst stays off (0: it never goes).
    let quietPeriod: Int64
    private let chat: GCRA?
    private let group: GCRA?
    private let global: GCRA?
    /// The bot-wide rule after a 429 no chat explains, when `global` is not set.
    private let learnedGlobal: GCRA?
    /// The table: a header, the bot-wide bucket, then the chats' buckets.
    private let words: MappedWords
    private let clock: @Sendable () -> Int64

    /// Maps (creating if needed) the table at `path`.
    package convenience init(path: String, limits: FloodLimits) throws {
        try self.init(path: path, limits: limits, clock: FloodGate.monotonicNanoseconds)
    }

    init(path: String, limits: FloodLimits, clock: @escaping @Sendable () -> Int64) throws {
        self.limits = limits
        chat = GCRA(rate: limits.chatRate, burst: limits.chatBurst)
        group = GCRA(rate: limits.groupRate, burst: limits.groupBurst)
        global = GCRA(rate: limits.globalRate, burst: limits.globalBurst)
        learnedGlobal = GCRA(rate: limits.learnedGlobalRate, burst: 1)
        quietPeriod = Int64(limits.learnSeconds * 1e9)
        self.clock = clock
        words = try MappedWords(path: path, count: (Self.headerSize + (Self.slotCount + 1) * 8) / 8)
        atomic(at: 0).store(Self.magic, ordering: .relaxed)
        atomic(at: 8).store(Int64(Self.slotCount), ordering: .relaxed)
    }

    package func admit(_ target: FloodTarget) async throws {
        let wait = reserve(target, now: clock())
        if wait > 0 { try await Task.sleep(for: .nanoseconds(wait)) }
    }

    package func penalize(_ target: FloodTarget, retryAfter: Duration) {
        penalize(target, retryAfter: retryAfter, now: clock())
    }

    func penalize(_ target: FloodTarget, retryAfter: Duration, now: Int64) {
        guard let unstrict = rule(for: target) else { return }
        let delay = retryAfter.components.seconds * 1_000_000_000 + retryAfter.components.attoseconds / 1_000_000_000
        // Nothing queued for this chat but the refused message: the bot's limit, not the chat's.
        let tat = slot(for: target).load(ordering: .relaxed)
        let botWide = tat <= now &+ unstrict.interval
        if quietPeriod > 0 {
            update(strictSlot) { max(believed($0, now: now) ?? now, now &+ quietPeriod) }
            if botWide { update(botWideSlot) { max(believed($0, now: now) ?? now, now &+ quietPeriod) } }
        }
        if botWide, let global = globalRule(now: now) {
            update(globalSlot) { global.penalize(tat: $0, now: now, delay: delay) }
        }
        guard let rule = rule(for: target, now: now) else { return }
        update(slot(for: target)) { rule.penalize(tat: $0, now: now, delay: delay) }
    }

    /// The bot-wide rule now: the configured one, else the learned one while a bot-wide 429 is
    /// recent, else none.
    private func globalRule(now: Int64) -> GCRA? {
        if let global { return global }
        guard quietPeriod > 0, (believed(botWideSlot.load(ordering: .relaxed), now: now) ?? now) > now else { return nil }
        return learnedGlobal
    }

    /// Whether a 429 has taken the burst away (until `quietPeriod` after the last one).
    func isStrict(now: Int64) -> Bool {
        quietPeriod > 0 && (believed(strictSlot.load(ordering: .relaxed), now: now) ?? now) > now
    }

    /// A stored time, unless it is further ahead than a quiet period can put it (a file of
    /// another layout, a clock that went back).
    private func believed(_ stored: Int64, now: Int64) -> Int64? {
        stored <= now &+ quietPeriod ? stored : nil
    }

    // MARK: - Budgets across hosts

    /// The chat's budget for another host: when its bucket next lets a message through at the
    /// sustained rate, on the wall clock; nil when that time has passed (nothing to hand on).
    package func budget(chatID: Int64) -> FloodBudget? {
        let now = clock()
        let tat = slot(for: FloodTarget(chatID: chatID)).load(ordering: .relaxed)
        guard tat > now, tat <= now &+ Self.horizon else { return nil }
        return FloodBudget(chatID: chatID, until: tat &+ Self.wallOffset(monotonic: now))
    }

    /// Takes another host's budget for a chat: its bucket's time becomes the later of the two.
    package func absorb(_ budget: FloodBudget) {
        let now = clock()
        let tat = budget.until &- Self.wallOffset(monotonic: now)
        // A time beyond the horizon is not believed (a clock far off): the local one stays.
        guard tat > now, tat <= now &+ Self.horizon else { return }
        update(slot(for: FloodTarget(chatID: budget.chatID))) { max($0, tat) }
    }

    /// Wall-clock nanoseconds minus monotonic ones, now: hosts share the wall clock (NTP), not
    /// their monotonic clocks.
    static func wallOffset(monotonic: Int64) -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec) - monotonic
    }

    /// Reserves a slot for a message to `target` at `now`; the nanoseconds to wait before sending.
    func reserve(_ target: FloodTarget, now: Int64) -> Int64 {
        var wait: Int64 = 0
        if let rule = rule(for: target, now: now) {
            wait = reserve(slot(for: target), rule, now: now)
        }
        if let global = globalRule(now: now) {
            wait += reserve(globalSlot, global, now: now + wait)
        }
        return wait
    }

    private func rule(for target: FloodTarget) -> GCRA? {
        target.isGroup ? group : chat
    }

    /// The target's rule now: without its burst while a 429 is recent.
    private func rule(for target: FloodTarget, now: Int64) -> GCRA? {
        guard var rule = rule(for: target) else { return nil }
        if isStrict(now: now) { rule.tolerance = 0 }
        return rule
    }

    private func reserve(_ slot: UnsafeAtomic<Int64>, _ rule: GCRA, now: Int64) -> Int64 {
        var wait: Int64 = 0
        update(slot) { stored in
            let r = rule.reserve(tat: stored, now: now, horizon: Self.horizon)
            wait = r.wait
            return r.tat
        }
        return wait
    }

    /// Compare-and-swap until `transform` of the current value is stored.
    private func update(_ slot: UnsafeAtomic<Int64>, _ transform: (Int64) -> Int64) {
        var current = slot.load(ordering: .relaxed)
        while true {
            let (done, seen) = slot.compareExchange(expected: current, desired: transform(current), ordering: .relaxed)
            if done { return }
            current = seen
        }
    }

    private var globalSlot: UnsafeAtomic<Int64> { atomic(at: Self.headerSize) }
    private var strictSlot: UnsafeAtomic<Int64> { atomic(at: Self.strictOffset) }
    private var botWideSlot: UnsafeAtomic<Int64> { atomic(at: Self.botWideOffset) }

    private func slot(for target: FloodTarget) -> UnsafeAtomic<Int64> {
        // splitmix64's finalizer spreads neighbouring ids over the table.
        let index = Int(UInt64(bitPattern: target.chatID).mixed & UInt64(Self.slotCount - 1))
        return atomic(at: Self.headerSize + 8 + index * 8)
    }

    private func atomic(at offset: Int) -> UnsafeAtomic<Int64> {
        words.atomic(offset / 8)
    }

    /// CLOCK_MONOTONIC: one clock for every process on the machine.
    static let monotonicNanoseconds: @Sendable () -> Int64 = {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// A flood table that cannot be opened or mapped.
package struct FloodGateError: Error, CustomStringConvertible {
    package var operation: String
    package var code: Int32
    package var description: String { "flood table: \(operation) failed: \(String(cString: strerror(code)))" }
}
