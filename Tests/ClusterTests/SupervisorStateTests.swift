import Foundation
import Testing
@testable import ClusterRuntime

/// The arbiter's decisions without processes: pids are made up, time is passed in.
@Suite("SupervisorState")
struct SupervisorStateTests {
    let t0 = ContinuousClock.now

    /// Boots a cluster of `workers` workers, giving pids 100, 101, ... in spawn order.
    func booted(workers: Int = 2) -> SupervisorState {
        var s = SupervisorState(configuration: .init(workers: workers), now: t0)
        let spawns = s.boot()
        #expect(spawns.map { action -> String in
            if case .spawn(let role, _) = action { return role }
            return "?"
        } == ["broker", "sequencer"] + Array(repeating: "worker", count: workers) + ["ingest"])
        for (i, action) in spawns.enumerated() {
            if case .spawn(let role, let restarts) = action { s.spawned(role: role, pid: pid_t(100 + i), restarts: restarts, now: t0, wall: 0) }
        }
        return s
    }

    static func spawned(_ actions: [SupervisorState.Action]) -> [String] {
        actions.compactMap { if case .spawn(let role, _) = $0 { return role }; return nil }
    }

    @Test func noIngests_bootsNoIngest() {
        // `run --ingest-in-broker`: the broker polls; with ingests 1 the last spawn is "ingest".
        let s = SupervisorState(configuration: .init(workers: 2, ingests: 0), now: t0)
        #expect(Self.spawned(s.boot()) == ["broker", "sequencer", "worker", "worker"])
    }

    @Test func aCrashedBroker_isRestartedAfterItsBackoff_notBefore() {
        var s = booted()
        let exited = s.exited(pid: 100, status: .init(code: nil, signal: SIGKILL), now: t0 + .seconds(1))
        #expect(exited == [.report(.restarting(role: "broker", pid: 100, status: "signal 9", delay: .milliseconds(100)))])
        #expect(Self.spawned(s.tick(now: t0 + .milliseconds(1050))).isEmpty)
        #expect(Self.spawned(s.tick(now: t0 + .milliseconds(1100))) == ["broker"])
    }

    @Test func backoffDoubles_andACrashLoopHalts() {
        var s = booted()
        var now = t0
        var delays: [Duration] = []
        for i in 0..<10 {
            let pid = pid_t(500 + i)
            s.spawned(role: "sequencer", pid: pid, restarts: i, now: now, wall: 0)
            let actions = s.exited(pid: pid, status: .init(code: 1, signal: nil), now: now)
            if case .report(.restarting(_, _, _, let delay))? = actions.first { delays.append(delay) }
            now += .seconds(1)
        }
        #expect(delays.prefix(5) == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600)])
        #expect(delays.last == .seconds(10), "capped")
        s.spawned(role: "sequencer", pid: 999, restarts: 10, now: now, wall: 0)
        let halted = s.exited(pid: 999, status: .init(code: 1, signal: nil), now: now)
        #expect(halted == [.report(.crashLoop(role: "sequencer", crashes: 11)), .stop(code: 1)])
        #expect(s.tick(now: now + .seconds(60)).isEmpty, "a stopping supervisor starts nothing")
    }

    /// What the shell's loop waits for when nothing happens: the status write (a second after
    /// the last), a restart's backoff, held workers; never a time already past.
    @Test func theNextDueTurn_isTheEarliestOfStatusRestartAndHeldWorkers() {
        var s = booted(workers: 2)
        #expect(s.nextDue(now: t0) == t0, "no status written yet")
        _ = s.tick(now: t0)
        #expect(s.nextDue(now: t0) == t0 + .seconds(1), "the status, a second after the last")
        _ = s.exited(pid: 100, status: .init(code: nil, signal: SIGKILL), now: t0)
        #expect(s.nextDue(now: t0) == t0 + .milliseconds(100), "the broker's restart")
        #expect(s.nextDue(now: t0 + .seconds(5)) == t0 + .seconds(5), "overdue: now")
        _ = s.tick(now: t0 + .milliseconds(100))
        _ = s.exited(pid: 102, status: .init(code: 70, signal: nil), now: t0 + .milliseconds(200))
        #expect(s.nextDue(now: t0 + .milliseconds(200)) == t0 + .milliseconds(300), "a worker held for its backoff")
    }

    @Test func aBootError_haltsInsteadOfRestarting() {
        var s = booted()
        #expect(s.exited(pid: 102, status: .init(code: 78, signal: nil), now: t0) == [.report(.bootFailure(role: "worker", pid: 102)), .stop(code: 78)])
        #expect(s.stopping == 78)
    }

    @Test func workers_areReplacedByTheCountFixer_onceTheBackoffPassed() {
        var s = booted(workers: 2)
        _ = s.exited(pid: 102, status: .init(code: 70, signal: nil), now: t0)
        #expect(Self.spawned(s.tick(now: t0 + .milliseconds(50))).isEmpty)
        #expect(Self.spawned(s.tick(now: t0 + .milliseconds(100))) == ["worker"])
    }

    /// A worker that left past its memory limit (exit 79) is replaced at the next tick, with no
    /// backoff, and eleven of them in a row are no crash loop.
    @Test func aRecycledWorker_isReplacedAtOnce_andIsNoCrash() {
        var s = booted()
        var now = t0
        for i in 0..<11 {
            let pid: pid_t = i == 0 ? 102 : pid_t(900 + i - 1)
            #expect(s.exited(pid: pid, status: .init(code: 79, signal: nil), now: now) == [.report(.recycled(role: "worker", pid: pid))])
            now += .milliseconds(10)
            let actions = s.tick(now: now)
            #expect(Self.spawned(actions) == ["worker"], "round \(i)")
            #expect(!actions.contains { if case .stop = $0 { return true }; return false })
            s.spawned(role: "worker", pid: pid_t(900 + i), restarts: 0, now: now, wall: 0)
        }
    }

    @Test func scalingDown_drainsTheOldestWorkers_andTheirExitIsNotACrash() {
        var s = SupervisorState(configuration: .init(workers: 0), now: t0)
        for (i, started) in [3, 1, 2].enumerated() {
            s.spawned(role: "worker", pid: pid_t(200 + i), restarts: 0, now: t0 + .seconds(started), wall: 0)
        }
        s.scale(to: 1)
        let actions = s.tick(now: t0 + .seconds(10))
        #expect(actions.contains(.kill(pid: 201, signal: SIGTERM)) && actions.contains(.kill(pid: 202, signal: SIGTERM)))
        #expect(!actions.contains(.kill(pid: 200, signal: SIGTERM)), "the youngest stays")
        #expect(s.exited(pid: 201, status: .init(code: 0, signal: nil), now: t0 + .seconds(11)) == [.report(.drained(role: "worker", pid: 201, status: "exit 0"))])
        #expect(Self.spawned(s.tick(now: t0 + .seconds(12))).isEmpty, "draining workers are not replaced")
        s.scale(to: 3)
        #expect(Self.spawned(s.tick(now: t0 + .seconds(13))) == ["worker", "worker"])
    }

    @Test func aPeerTheBrokerDeclaredLost_isKilled_onlyIfItIsOursInThatRole() {
        var s = booted()
        #expect(s.peerLost(pid: 102, role: "worker", reason: "silent") == [.report(.killingLost(role: "worker", pid: 102, reason: "silent")),
                                                                           .kill(pid: 102, signal: SIGKILL)])
        #expect(s.peerLost(pid: 102, role: "sequencer", reason: "silent").isEmpty, "another role: not ours to kill")
        #expect(s.peerLost(pid: 4242, role: "worker", reason: "silent").isEmpty, "not a child")
    }

    @Test func aChildThatCannotBeSpawned_haltsAtBoot_butIsRetriedLater() {
        var s = booted()
        #expect(s.spawnFailed(role: "worker", restarts: 0, booting: true, now: t0) == [.stop(code: 1)])
        var later = booted()
        let retry = later.spawnFailed(role: "ingest", restarts: 0, booting: false, now: t0)
        #expect(retry.count == 1)
        #expect(Self.spawned(later.tick(now: t0 + .milliseconds(100))) == ["ingest"])
    }

    @Test func theStatus_isWrittenOnAChange_elseOnceASecond() {
        var s = booted()
        #expect(s.tick(now: t0).contains(.writeStatus))
        #expect(!s.tick(now: t0 + .milliseconds(500)).contains(.writeStatus))
        #expect(s.tick(now: t0 + .seconds(1)).contains(.writeStatus))
        s.scale(to: 5)
        #expect(s.tick(now: t0 + .milliseconds(1050)).contains(.writeStatus))
    }
}
