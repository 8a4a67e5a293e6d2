import Bus
import Foundation
import Synchronization
import Testing
import TGClusterTesting
import Wire
@testable import ClusterRuntime

/// A worker process that drains, against a broker of the test's own (a ROUTER on the workers'
/// socket that answers as a broker does).
@Suite("Worker drain (processes)", .serialized)
struct WorkerDrainIntegrationTests {
    /// The broker may give a worker a job just before it reads the worker's DISCONNECT (a scale
    /// down under load). The job arrives after the worker began to drain, with nothing else
    /// running there: a worker that left at once never ran it, or ran it and left before its
    /// DONE (the scaling test's reply sent twice, in CI on 4 Dec 2026). Here the fake broker
    /// answers the DISCONNECT with such a job and then its answer; the worker must run the job,
    /// send its DONE, and only then leave. Without waiting for the answer, the worker left
    /// within milliseconds of the SIGTERM and the job got no DONE (tried).
    @Test func aJobSentJustBeforeTheBrokerReadTheDisconnect_isRunAndAnswered_beforeTheWorkerLeaves() async throws {
        let sim = try await SimHarness.start()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-drain-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let context = ZMQContext()
        var configuration = ClusterConfiguration()
        configuration.dataDir = dir.path
        let broker = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [configuration.workersSocket])],
                                 tick: .milliseconds(50), inline: true)
        defer {
            broker.shutdown()
            context.close()
            try? FileManager.default.removeItem(at: dir)
        }
        let heard = Mutex<(peer: Data?, frames: [Frame])>((nil, []))
        let lateJob = Job(id: 4242, attempt: 1, payload: .task(name: "grandchild", input: Data("1".utf8)))
        broker.attach { m in
            if m.isTick {
                // A live broker is heard every heartbeat interval.
                if let peer = heard.withLock({ $0.peer }) { broker.send([peer] + Frame.heartbeat.encoded(), on: 0) }
                return
            }
            guard let frame = try? Frame.decode(m.frames.dropFirst()) else { return }
            heard.withLock {
                $0.frames.append(frame)
                if case .ready = frame { $0.peer = m.frames[0] }
            }
            if case .disconnect = frame {
                broker.send([m.frames[0]] + Frame.job(lateJob).encoded(), on: 0)
                broker.send([m.frames[0]] + Frame.disconnect.encoded(), on: 0)
            }
        }
        var environment = ProcessInfo.processInfo.environment
        environment["TELEGRAM_BOT_TOKEN"] = sim.token
        environment["TELEGRAM_API_URL"] = sim.baseURL
        environment["TGCLUSTER_DATA_DIR"] = dir.path
        environment["TGCLUSTER_FLOOD"] = "off"
        environment["SWIFT_BACKTRACE"] = "enable=no"
        let log = dir.appendingPathComponent("worker.log").path
        // A slow heartbeat: the broker's silence must not be what releases the worker here.
        let worker = try SpawnedProcess(executable: ClusterHarness.executable(testBot),
                                        arguments: ["worker", "--heartbeat", "1s", "--drain-deadline", "20s"],
                                        environment: environment, output: log)
        defer {
            if worker.isRunning { kill(worker.processIdentifier, SIGKILL) }
            Task { try? await sim.shutdown() }
        }
        try await waitUntil("the worker's READY", timeout: .seconds(30)) { heard.withLock { $0.peer != nil } }
        kill(worker.processIdentifier, SIGTERM)
        try await waitUntil("the worker to leave", timeout: .seconds(30)) { !worker.isRunning }
        let frames = heard.withLock { $0.frames }
        let done = frames.compactMap { frame -> (Outcome, Data)? in
            guard case .done(4242, let outcome, let output) = frame else { return nil }
            return (outcome, output)
        }
        let workerLog = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(done.count == 1, "the late job's DONE, once; frames: \(frames.map { "\($0)".prefix(40) })\n\(workerLog.suffix(2000))")
        #expect(done.first?.0 == .ok && done.first.map { String(decoding: $0.1, as: UTF8.self) } == "2")
        #expect(worker.terminationStatus == 0, "\(workerLog.suffix(2000))")
    }
}
