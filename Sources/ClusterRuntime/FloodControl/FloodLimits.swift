/// The flood limits the cluster keeps to, per bot (`--flood*` flags).
///
/// Telegram publishes round figures, not exact rules (../shared/botapi/FACTS.md §5): about one
/// message a second in a chat with short bursts, twenty a minute in a group, and about thirty
/// a second for bulk notifications. The defaults stay about 10% under the first two, because
/// messages leave several processes and reach Telegram with some jitter, and a chat's burst is
/// one below the three Telegram tolerates: a burst message delayed in transit (a new
/// connection's handshake, a loaded host) then arrives with the first paced one no closer than
/// the limit allows (seen as a 429 on a loaded test machine with a burst of 3); the bot-wide rate is
/// off by default: Telegram's maintainers say it applies to broadcasts, and a bot that replies
/// to thousands of users a second would otherwise be capped at thirty.
package struct FloodLimits: Sendable, Equatable {
    /// Messages per second to one private chat (`--flood-chat-rate`, 0.9).
    package var chatRate = 0.9
    /// Messages to one private chat at once before the rate applies (`--flood-chat-burst`, 2).
    package var chatBurst = 2.0
    /// Messages per second to one group or channel (`--flood-group-rate`, 0.3 = 18 a minute).
    package var groupRate = 0.3
    /// Messages to one group at once (`--flood-group-burst`, 18).
    package var groupBurst = 18.0
    /// Messages per second for the whole bot (`--flood-global-rate`); 0 = no bot-wide limit.
    package var globalRate = 0.0
    /// Messages at once for the whole bot (`--flood-global-burst`, 27).
    package var globalBurst = 27.0
    /// Seconds after a 429 during which no chat gets a burst (`--flood learn=SECONDS`, 600;
    /// 0 = never learn): the server that refused tolerates less than the profile assumed.
    package var learnSeconds = 600.0
    /// The bot-wide rate kept for `learnSeconds` after a 429 that no chat's own rate explains
    /// (the server's bot-wide limit: thirty a second, less 10%), when no `global=` is set.
    package var learnedGlobalRate = 27.0

    package init() {}
}

extension FloodLimits {
    /// Parses `--flood`: `telegram` (the defaults), `off` (nil), or the defaults with some
    /// overridden, as `chat=RATE[/BURST],group=RATE[/BURST],global=RATE[/BURST]` (messages per
    /// second; `global=30` limits the whole bot to thirty a second), and `learn=SECONDS` (how long
    /// a 429 keeps every chat's burst off).
    package static func parse(_ spec: String) throws(FloodSpecError) -> FloodLimits? {
        let text = spec.trimmingCharacters(in: .whitespaces).lowercased()
        if text == "off" || text == "none" { return nil }
        var limits = FloodLimits()
        if text == "telegram" || text.isEmpty { return limits }
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { throw FloodSpecError(spec: spec, reason: "\(part) is not key=rate[/burst]") }
            let numbers = pair[1].split(separator: "/", maxSplits: 1).map { Double($0) }
            guard let rate = numbers.first ?? nil, rate >= 0, rate.isFinite else {
                throw FloodSpecError(spec: spec, reason: "\(pair[1]) is not a rate (messages per second)")
            }
            let burst = numbers.count == 2 ? numbers[1] : nil
            if numbers.count == 2, !((burst ?? 0) >= 1 && (burst ?? 0).isFinite) {
                throw FloodSpecError(spec: spec, reason: "a burst is a number of messages, at least 1")
            }
            switch pair[0] {
            case "chat":
                limits.chatRate = rate
                if let burst { limits.chatBurst = burst }
            case "group":
                limits.groupRate = rate
                if let burst { limits.groupBurst = burst }
            case "global":
                limits.globalRate = rate
                if let burst { limits.globalBurst = burst }
            case "learn":
                guard burst == nil else { throw FloodSpecError(spec: spec, reason: "learn takes seconds, not rate/burst") }
                limits.learnSeconds = rate
            default:
                throw FloodSpecError(spec: spec, reason: "unknown key \(pair[0]) (chat, group, global or learn)")
            }
        }
        return limits
    }
}

/// A `--flood` value that does not parse.
package struct FloodSpecError: Error, CustomStringConvertible {
    package var spec: String
    package var reason: String
    package var description: String { "--flood \(spec): \(reason); try telegram, off, or chat=0.9/2,group=0.3/18,global=30,learn=600" }
}
