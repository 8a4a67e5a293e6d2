import Foundation
import Testing
import Synchronization
@testable import Bus

/// The Swift jobs a loop runs on its thread, as a sender sees them: `runsJobsHere` inside them
/// alone, and `jobsEnd` once they have run, before the loop sends what they queued (where a
/// worker's link sends the DONEs its jobs wrote into one bundle).
@Suite("BusLoop jobs")
struct BusLoopJobsTests {
    /// What the jobs and the handler saw, and the continuations the handler resumes.
    final class Record: Sendable {
        let events = Mutex<[String]>([])
        let waiters = Mutex<[CheckedContinuation<Void, Never>]>([])
    }

    /// `runsJobsHere` read on a thread of its own while the caller waits (`DispatchQueue.sync`
    /// would run it on the caller's thread).
    static func askedFromAnotherThread(_ loop: BusLoop) -> Bool {
        final class Answer: Sendable { let value = Mutex<Bool?>(nil); let done = DispatchSemaphore(value: 0) }
        let answer = Answer()
        Thread {
            answer.value.withLock { $0 = loop.runsJobsHere }
            answer.done.signal()
        }.start()
        answer.done.wait()
        return answer.value.withLock { $0 } ?? true
    }

    /// Three tasks that prefer the loop wait on continuations its handler resumes together: their
    /// jobs then run in one go on the bus thread, each seeing `runsJobsHere`, and `jobsEnd`
    /// follows them; the handler, the test's own thread and another thread asking while they run
    /// are not such jobs. What `jobsEnd`
    /// sends leaves in that round: the router gets it without another message to wake the loop.
    @Test func jobsEnd_followsTheJobsTheLoopRan_whichAloneRunHere() async throws {
        let endpoint = "inproc://jobs-end-\(UUID().uuidString.prefix(8))"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint])], inline: true)
        let dealer = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-7", connect: [endpoint])], inline: true)
        let atRouter = Mutex<[String]>([])
        router.attach { m in
            guard !m.isTick, let body = m.frames.last else { return }
            let text = String(decoding: body, as: UTF8.self)
            atRouter.withLock { $0.append(text) }
            if text == "go" { router.send(m.frames, on: 0) }
        }
        let record = Record()
        dealer.attach({ m in
            guard !m.isTick else { return }
            record.events.withLock { $0.append("handler \(dealer.runsJobsHere)") }
            for waiter in record.waiters.withLock({ w in defer { w = [] }; return w }) { waiter.resume() }
        }, jobsEnd: {
            let after = record.events.withLock { e in
                defer { e.append("jobsEnd") }
                return e.last?.hasPrefix("job ") ?? false  // a job's event, not an earlier "jobsEnd"
            }
            if after { dealer.send([Data("after the jobs".utf8)], on: 0) }
        })
        #expect(!dealer.runsJobsHere)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask(executorPreference: dealer) { @Sendable in
                    await withCheckedContinuation { c in record.waiters.withLock { $0.append(c) } }
                    // Asked from another thread meanwhile, the answer is no: the loop's jobs alone.
                    let elsewhere = Self.askedFromAnotherThread(dealer)
                    record.events.withLock { $0.append("job \(dealer.runsJobsHere) \(elsewhere)") }
                }
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while record.waiters.withLock({ $0.count }) < 3, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
            dealer.send([Data("go".utf8)], on: 0)  // echoed: the dealer's handler resumes the three
            await group.waitForAll()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while !atRouter.withLock({ $0.contains("after the jobs") }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let seen = record.events.withLock { $0 }
        let fromHandler = Array(seen.drop { !$0.hasPrefix("handler") })
        #expect(fromHandler.prefix(5) == ["handler false", "job true false", "job true false", "job true false", "jobsEnd"], "\(seen)")
        #expect(atRouter.withLock { $0 } == ["go", "after the jobs"])
        dealer.shutdown()
        router.shutdown()
        context.close()
    }
}
