/// Checks what chats received against what they should have received, in order: the chaos
/// run's judge of "lost", "answered twice" and "out of order". Pure (texts in, counts out), so
/// its failing cases are unit tests.
///
/// Per chat, each received text is, in this order of preference: the next expected one; a
/// repeat of one of the last `window` delivered (at-least-once: a job whose process died after
/// its call ran again); one that was skipped earlier (arrived out of order); a later expected one
/// (those between are missing, for now); or unknown (out of order too). What never arrived is
/// lost.
public struct ChatAudit: Sendable, Equatable {
    /// One expected message: its exact text, or a prefix (a refusal's reason may vary).
    public enum Expect: Sendable, Equatable {
        case exactly(String)
        case prefix(String)

        func matches(_ text: String) -> Bool {
            switch self {
            case .exactly(let s): text == s
            case .prefix(let p): text.hasPrefix(p)
            }
        }
    }

    public var chats = 0
    public var expected = 0
    public var delivered = 0
    public var repeats = 0
    public var outOfOrder = 0
    /// The first problems, for the report: `chat 42: "m7" after "m9"`.
    public var examples: [String] = []
    /// How far back a repeat may reach.
    public let window: Int

    public var lost: Int { expected - delivered }

    public init(window: Int = 3) { self.window = window }

    public mutating func check(chat: Int64, expected want: [Expect], got: [String]) {
        chats += 1
        expected += want.count
        var next = 0
        var skipped: Set<Int> = []
        var recent: [Int] = []
        func note(_ problem: String) {
            if examples.count < 8 { examples.append("chat \(chat): \(problem)") }
        }
        func deliver(_ index: Int) {
            delivered += 1
            recent.append(index)
            if recent.count > window { recent.removeFirst() }
        }
        for text in got {
            if next < want.count, want[next].matches(text) {
                deliver(next)
                next += 1
            } else if recent.contains(where: { want[$0].matches(text) }) {
                repeats += 1
            } else if let late = skipped.sorted().first(where: { want[$0].matches(text) }) {
                skipped.remove(late)
                outOfOrder += 1
                note("\(quoted(text)) arrived after later messages")
                deliver(late)
            } else if let ahead = want.indices.dropFirst(next).first(where: { want[$0].matches(text) }) {
                skipped.formUnion(next..<ahead)
                deliver(ahead)
                next = ahead + 1
            } else {
                outOfOrder += 1
                note("unexpected \(quoted(text)) at message \(next + 1) of \(want.count)")
            }
        }
        if next < want.count || !skipped.isEmpty {
            note("\(want.count - next + skipped.count) of \(want.count) never arrived")
        }
    }

    private func quoted(_ text: String) -> String {
        "\"\(text.count > 40 ? text.prefix(40) + "…" : text)\""
    }
}
