import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// The supervisor as gunicorn's arbiter: the broker's verdict on a peer is acted on.
@Suite("Arbiter (processes)", .serialized)
struct ArbiterIntegrationTests {
    /// A stopped process keeps its socket and its jobs: the broker requeues them after the
    /// liveness interval, and without the supervisor's kill the process would wake later and
    /// finish jobs that ran elsewhere meanwhile.
    @Test func aStoppedWorker_declaredLostByTheBroker_isKilledAndReplaced() async throws {
        let cluster = try await ClusterHarness(bot: testBot, workers: 2)
        var victim: pid_t = 0
        do {
            victim = try #require(cluster.children().first { $0.role == "worker" }).pid
            kill(victim, SIGSTOP)
            try await waitUntil("the stopped worker killed and reaped", timeout: .seconds(30)) {
                !cluster.children().contains { $0.pid == victim } && !isAlive(victim)
            }
            #expect(cluster.logText().contains("killing a child the broker declared lost"))
            // The supervisor's answer to the report is JSON on the broker's control socket, not a frame.
            #expect(!cluster.logText().contains("dropped a frame that does not parse"))
            try await waitUntil("two workers again", timeout: .seconds(30)) { cluster.peers().filter { $0.role == "worker" }.count == 2 }
            try await cluster.sim.generate(200, chats: 20)
            try await waitUntil("200 replies", timeout: .seconds(30)) { try await cluster.replyCount() >= 200 }
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        if victim > 0, isAlive(victim) { kill(victim, SIGKILL) }
        await cluster.cleanUp()
    }

    /// An idle supervisor sleeps until something is due (its status, once a second) or a child
    /// ends (`ChildWatch`), instead of turning every 50 ms: its threads' wake-ups over three idle
    /// seconds (83 a second before, ~11 now in a release build; tried: with every child left
    /// unwatched, the loop back at 50 ms, the test fails). Nor do its children poll for its end.
    /// A killed worker is still replaced.
    @Test func anIdleSupervisor_sleepsBetweenItsTurns_andStillReplacesAKilledWorker() async throws {
        let cluster = try await ClusterHarness(bot: testBot, workers: 1)
        do {
            let supervisor = cluster.process.processIdentifier
            let children = cluster.children().map(\.pid)
            func watching() -> Int { children.reduce(0) { $0 + ProcessThreads.wakeUps(of: $1, thread: "tgc.parentwatch") + ProcessThreads.wakeUps(of: $1, thread: "tgc.watchdog") } }
            try await Task.sleep(for: .seconds(1))
            let (before, watchesBefore) = (ProcessThreads.wakeUps(of: supervisor), watching())
            try await Task.sleep(for: .seconds(3))
            let perSecond = Double(ProcessThreads.wakeUps(of: supervisor) - before) / 3
            #expect(perSecond < 40, "the idle supervisor woke \(perSecond) times a second")
            // Each child waits for its supervisor's end on a pidfd (`ParentWatch`), and a job
            // watchdog with nothing to watch sleeps a whole deadline (`HangWatchdog.nextCheck`):
            // polling, as they did before, woke them 5 and 4 times a second.
            #expect(watching() - watchesBefore <= children.count, "the children's watch threads woke \(watching() - watchesBefore) times in 3 s")
            let worker = try #require(cluster.children().first { $0.role == "worker" }).pid
            kill(worker, SIGKILL)
            try await waitUntil("the worker replaced", timeout: .seconds(30)) {
                cluster.children().contains { $0.role == "worker" && $0.pid != worker }
            }
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        await cluster.cleanUp()
    }
}
