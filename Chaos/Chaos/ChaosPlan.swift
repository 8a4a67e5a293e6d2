import Sim

/// What the chaos run does and when, drawn from a seed before it starts, so that a failing run
/// can be run again exactly (`scripts/chaos --seed N`): a `kill -9` every few seconds of a
/// random role of a random bot's cluster (every role at least once), one torn journal tail and
/// one full disk. Pure: tests check the schedule without processes.
public struct ChaosPlan: Sendable, Equatable {
    /// The three clusters of the run, each against its own emulator.
    public enum Bot: String, CaseIterable, Codable, Sendable, Comparable {
        case bank, timer, echo

        /// The example's executable.
        public var executable: String { "\(rawValue)bot" }

        public static func < (a: Bot, b: Bot) -> Bool { a.rawValue < b.rawValue }
    }

    /// What a kill hits: a role's process, or the supervisor (restarted by the run, as a service
    /// manager would).
    public enum Role: String, CaseIterable, Codable, Sendable, Comparable {
        case ingest, broker, sequencer, worker, supervisor

        public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
    }

    public enum Action: Equatable, Sendable {
        /// `kill -9` of the role's process (a random one of the workers).
        case kill(Bot, Role)
        /// The cluster is stopped hard (its supervisor killed, its children gone) and half a
        /// record is appended to its journal, as a crash in the middle of a write leaves it.
        case tornTail(Bot)
        /// The journal's writes fail for `seconds` (`TGCLUSTER_JOURNAL_FAULTS`).
        case fullDisk(Bot, seconds: Double)
    }

    public struct Event: Equatable, Sendable {
        /// Seconds after the start.
        public var at: Double
        public var action: Action
    }

    public var events: [Event]

    /// Kills from `quiet` seconds after the start until `quiet` seconds before the end, one every
    /// `killEvery` seconds; the first five cover every role once (in a seeded order), so a short
    /// run still kills each. The torn tail at 40% of the run, the full disk at 65%.
    public init(seed: UInt64, seconds: Double, killEvery: ClosedRange<Double> = 3...6, quiet: Double = 5,
                fullDiskSeconds: Double = 5) {
        var rng = SplitMix64(seed: seed)
        func uniform(_ range: ClosedRange<Double>) -> Double {
            range.lowerBound + (range.upperBound - range.lowerBound) * Double(rng.next() >> 11) / Double(1 << 53)
        }
        func pick<T>(_ all: [T]) -> T { all[Int(rng.next() % UInt64(all.count))] }
        var firstRoles = Role.allCases
        for i in stride(from: firstRoles.count - 1, to: 0, by: -1) {
            firstRoles.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        var events: [Event] = []
        var t = quiet
        while t < seconds - quiet {
            let role = events.count < firstRoles.count ? firstRoles[events.count] : pick(Role.allCases)
            events.append(Event(at: t, action: .kill(pick(Bot.allCases), role)))
            t += uniform(killEvery)
        }
        if seconds > 2 * quiet {
            events.append(Event(at: seconds * 0.4, action: .tornTail(pick(Bot.allCases))))
            events.append(Event(at: seconds * 0.65, action: .fullDisk(pick(Bot.allCases), seconds: fullDiskSeconds)))
        }
        self.events = events.sorted { $0.at < $1.at }
    }

    /// The roles killed, each with its count.
    public var kills: [Role: Int] {
        events.reduce(into: [:]) { counts, event in
            if case .kill(_, let role) = event.action { counts[role, default: 0] += 1 }
        }
    }
}
