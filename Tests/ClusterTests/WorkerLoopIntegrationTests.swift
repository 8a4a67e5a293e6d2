import ClusterRuntime
import Foundation
import Testing
import TGClusterTesting

/// `Bot.WorkerThreads`: a worker runs the bot's concurrent handlers on Swift's pool by default,
/// and on its bus thread when the bot asks for `.eventLoop`, with its client's plain-HTTP loop
/// lent to the same thread, so that a reply's answer is read where its handler goes on and the
/// loop's own thread, `tgc.http`, sleeps through every reply.
@Suite("Worker loop (processes)", .serialized)
struct WorkerLoopIntegrationTests {
    /// The test bot with `TESTBOT_WORKER_LOOP=1`: `/thread` answers from `tgc.bus`; forty echoes,
    /// one at a time, come back in order while the worker's `tgc.http` thread wakes 0 times (40,
    /// one per reply, when the worker does not lend its client's loop: tried); the cluster stops
    /// cleanly (the jobs' tasks and the lease end with the bus loop).
    @Test func onTheEventLoop_aHandlerRunsOnTheBusThread_andItsReplysAnswerIsReadThere() async throws {
        let cluster = try await ClusterHarness(bot: testBot, workers: 1, environment: ["TESTBOT_WORKER_LOOP": "1"])
        do {
            try await cluster.send("/thread", chat: 7)
            try await waitUntil("the /thread reply", timeout: .seconds(30)) { try await cluster.replyCount() >= 1 }
            #expect(try await cluster.replies()[7] == ["thread: tgc.bus"])
            let worker = try #require(cluster.child("worker"))
            #expect(threadNames(of: worker).contains("tgc.http"), "the worker has no plain-HTTP loop: \(threadNames(of: worker))")
            let woke = try await wakeUps(of: worker, thread: "tgc.http", sending: 40, to: 8, through: cluster) { "echo \($0)" }
            #expect(woke <= 4, "the worker's tgc.http thread woke \(woke) times for 40 replies")
            #expect(try await cluster.replies()[8] == (1...40).map { "echo \($0)" })
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        await cluster.cleanUp()
    }

    /// A handler that computes for 2.6 s on the event loop holds the worker's bus thread: the
    /// worker's log says so (a gap of two heartbeat intervals or more between two of its ticks)
    /// and an update that came meanwhile waits for it. With 1.2 s heartbeats the broker's
    /// patience is 4.8 s, so the same worker answers both (were it taken for dead, the test
    /// would see another pid).
    @Test func aHandlerHoldingTheLoop_isReportedAsAStall() async throws {
        let cluster = try await ClusterHarness(bot: testBot, workers: 1, extra: ["--heartbeat", "1200ms"],
                                               environment: ["TESTBOT_WORKER_LOOP": "1"])
        do {
            let worker = try #require(cluster.child("worker"))
            try await cluster.send("/busy 2.6", chat: 7)
            try await Task.sleep(for: .milliseconds(300))
            try await cluster.send("meanwhile", chat: 8)
            try await waitUntil("both answered", timeout: .seconds(30)) { try await cluster.replyCount() >= 2 }
            let replies = try await cluster.replies()
            #expect(replies[7] == ["busy done"] && replies[8] == ["meanwhile"], "\(replies)")
            #expect(cluster.child("worker") == worker, "the worker was replaced")
            try await waitUntil("the stall in the log", timeout: .seconds(10)) { cluster.logText().contains("did not turn for") }
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        await cluster.cleanUp()
    }

    /// Packed dispatch (the default) fills the first worker, but passes over one whose jobs
    /// have not moved for its patience (500 ms): an update that comes a second into a handler's
    /// 8 s computation on the loop goes to the other worker and is answered seconds before
    /// the computation ends (both times the emulator's). Without the stall rule it waits on
    /// the same worker and both answers leave together when the loop turns again (tried: 0.0 s
    /// apart, in either order). Heartbeats of 3 s: the busy worker is not taken for dead.
    @Test func packed_anUpdateBehindAComputingHandler_goesToTheOtherWorker() async throws {
        let cluster = try await ClusterHarness(bot: testBot, workers: 2, extra: ["--heartbeat", "3s"],
                                               environment: ["TESTBOT_WORKER_LOOP": "1"])
        do {
            try await waitUntil("two workers", timeout: .seconds(30)) { cluster.peers().filter { $0.role == "worker" }.count == 2 }
            try await cluster.send("/busy 8", chat: 7)
            try await waitUntil("the computation under way", timeout: .seconds(30)) {
                cluster.peers().contains { $0.role == "worker" && $0.inFlight > 0 }
            }
            try await Task.sleep(for: .seconds(1))
            try await cluster.send("meanwhile", chat: 8)
            try await waitUntil("both answered", timeout: .seconds(30)) { try await cluster.replyCount() >= 2 }
            let sent = try await cluster.calls().filter { $0.method == "sendMessage" && $0.ok }
            let meanwhile = try #require(sent.first { $0.text == "meanwhile" }?.time)
            let busy = try #require(sent.first { $0.text == "busy done" }?.time)
            #expect(busy.timeIntervalSince(meanwhile) > 3, "answered \(busy.timeIntervalSince(meanwhile)) s before the computation ended")
            let report = StatusReport.render(ControlAnswer(ok: true, broker: cluster.broker()))
            #expect(report.contains("(dispatch packed)"), "\(report)")
            #expect(try await cluster.stop() == 0)
        } catch {
            Issue.record("\(error)\n\(cluster.logText().suffix(3000))")
        }
        await cluster.cleanUp()
    }

    /// By default a handler runs on Swift's pool, not on the worker's bus thread.
    @Test func byDefault_aHandlerRunsOnSwiftsPool() async throws {
        try await withCluster(bot: testBot, workers: 1) { cluster in
            try await cluster.send("/thread", chat: 7)
            try await waitUntil("the /thread reply", timeout: .seconds(30)) { try await cluster.replyCount() >= 1 }
            let reply = try #require(try await cluster.replies()[7]?.first)
            #expect(reply.hasPrefix("thread: ") && reply != "thread: tgc.bus", "\(reply)")
        }
    }
}
