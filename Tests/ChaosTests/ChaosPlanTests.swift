import Chaos
import Testing

/// The seeded schedule: the same seed gives the same run, every role is killed even in a short
/// run, and the journal faults happen once each.
@Suite("Chaos: plan")
struct ChaosPlanTests {
    @Test func sameSeed_sameSchedule_otherSeed_another() {
        #expect(ChaosPlan(seed: 1, seconds: 600) == ChaosPlan(seed: 1, seconds: 600))
        #expect(ChaosPlan(seed: 1, seconds: 600) != ChaosPlan(seed: 2, seconds: 600))
    }

    @Test func ninetySeconds_killsEveryRole_everyFewSeconds_andDamagesAJournalOnce() {
        let plan = ChaosPlan(seed: 1, seconds: 90)
        #expect(Set(plan.kills.keys) == Set(ChaosPlan.Role.allCases))
        let kills = plan.events.filter { if case .kill = $0.action { true } else { false } }
        #expect((14...27).contains(kills.count), "\(kills.count) kills in 90 s at one per 3–6 s")
        #expect(kills.allSatisfy { (5...85).contains($0.at) })
        for (a, b) in zip(kills, kills.dropFirst()) { #expect((3...6).contains(b.at - a.at)) }
        #expect(plan.events.filter { if case .tornTail = $0.action { true } else { false } }.count == 1)
        #expect(plan.events.filter { if case .fullDisk = $0.action { true } else { false } }.count == 1)
        #expect(zip(plan.events, plan.events.dropFirst()).allSatisfy { $0.at <= $1.at })
    }
}
