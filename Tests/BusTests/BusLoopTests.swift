import Foundation
import Testing
import Synchronization
@testable import Bus

@Suite("BusLoop")
struct BusLoopTests {
    /// Receives the next message within a deadline.
    static func next(_ loop: BusLoop, timeout: Duration = .seconds(5)) async throws -> BusLoop.Message {
        try await withThrowingTaskGroup(of: BusLoop.Message?.self) { group in
            group.addTask {
                for await m in loop.inbound { return m }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let first else { throw TimeoutError() }
            return first
        }
    }

    struct TimeoutError: Error {}

    /// When the messages of a paced stream arrived: how many, and the slowest gap between two.
    struct Arrivals {
        var count = 0
        var slowest: Duration = .zero
        var last: ContinuousClock.Instant?

        mutating func record(at now: ContinuousClock.Instant = .now) {
            if let last { slowest = max(slowest, now - last) }
            last = now
            count += 1
        }
    }

    /// `count` messages from `router` to its dealer `identity`, 3 ms apart, from a thread of
    /// its own, not a task: a test run that keeps Swift's pool busy must not stretch the gaps.
    static func sendPaced(_ router: BusLoop, to identity: String, count: Int) {
        Thread.detachNewThread {
            for i in 0..<count {
                router.send([Data(identity.utf8), Data("m\(i)".utf8)], on: 0)
                usleep(3_000)
            }
        }
    }

    /// Waits until `arrivals` counts `count` or `deadline` passes.
    static func waitFor(_ count: Int, _ arrivals: borrowing Mutex<Arrivals>, until deadline: ContinuousClock.Instant) async throws {
        while arrivals.withLock({ $0.count }) < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func routerAndDealer_exchangeMultipartMessagesOverIPC() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-bus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let endpoint = "ipc://\(dir.path)/broker.sock"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint])])
        let dealer = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-1", connect: [endpoint])])
        dealer.send([Data("hello".utf8), Data(), Data([1, 2, 3])], on: 0)
        let got = try await Self.next(router)
        #expect(got.frames[0] == Data("w-1".utf8))
        #expect(Array(got.frames.dropFirst()) == [Data("hello".utf8), Data(), Data([1, 2, 3])])
        // And back, addressed by identity; many, in order.
        for i in 0..<500 {
            router.send([Data("w-1".utf8), withUnsafeBytes(of: UInt64(i).bigEndian) { Data($0) }], on: 0)
        }
        var last: UInt64 = 0
        for i in 0..<500 {
            let m = try await Self.next(dealer)
            guard m.frames.count == 1, m.frames[0].count == 8 else { Issue.record("expected one 8-byte frame"); return }
            let batch = m.frames[0].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(batch == UInt64(i))
            last = batch
        }
        #expect(last == 499)
        // To a peer that is gone: counted as dropped, not a crash.
        router.send([Data("nobody".utf8), Data("beat".utf8)], on: 0)
        // The bus thread drops it when it gets to it: waited for, not assumed within a fixed time.
        let deadline = ContinuousClock.now + .seconds(20)
        while router.droppedSends == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(router.droppedSends == 1)
        dealer.shutdown()
        router.shutdown()
        context.close()
    }

    @Test func heartbeat_goesOutFromTheBusThread_whileNothingElseIsSent() async throws {
        let endpoint = "inproc://beat-\(UUID().uuidString.prefix(8))"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint])])
        let dealer = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-2", connect: [endpoint])],
                                 heartbeat: .init(socket: 0, frames: [Data("beat".utf8)], interval: .milliseconds(50)))
        // No task of ours sends anything: the beats come from the loop itself, at the interval.
        let started = ContinuousClock.now
        for _ in 0..<3 {
            let m = try await Self.next(router)
            #expect(Array(m.frames.dropFirst()) == [Data("beat".utf8)])
        }
        #expect(ContinuousClock.now - started >= .milliseconds(100))
        dealer.shutdown()
        router.shutdown()
        context.close()
    }

    /// A send from another thread leaves between the messages of a round, not after the round:
    /// 200 messages wait in the router's socket, so one round reads them all (5 ms each, a
    /// second in all); another thread sends while the round runs, and the dealer must see that
    /// send long before the round ends (it did not before: the broker's ACK waited behind the
    /// round's DONEs).
    @Test func aSendFromAnotherThread_leavesInTheMiddleOfARound() async throws {
        let endpoint = "inproc://round-\(UUID().uuidString.prefix(8))"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint])], inline: true)
        let dealer = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-3", connect: [endpoint])], inline: true)
        let handled = Atomic<Int>(0)
        let seenAt = Mutex<Int?>(nil)
        dealer.attach { m in
            if m.frames == [Data("urgent".utf8)] { seenAt.withLock { $0 = handled.load(ordering: .acquiring) } }
        }
        for i in 0..<200 { dealer.send([Data("m\(i)".utf8)], on: 0) }
        // All 200 in the router's socket before it reads anything.
        try await Task.sleep(for: .milliseconds(300))
        router.attach { m in
            guard !m.isTick else { return }
            if handled.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == 5 {
                Thread.detachNewThread { router.send([Data("w-3".utf8), Data("urgent".utf8)], on: 0) }
            }
            usleep(5_000)
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while seenAt.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let at = try #require(seenAt.withLock { $0 })
        #expect(at < 100, "the send left after \(at) of the round's 200 messages")
        dealer.shutdown()
        router.shutdown()
        context.close()
    }

    /// A send that makes libzmq process the socket's pending commands consumes the descriptor's
    /// signal for a message that arrived meanwhile (libzmq does so in a send at most once a
    /// millisecond). Here the round's end takes 4 ms while messages come every 3 ms, each
    /// answered from the handler: a message always arrives between the round's last read and
    /// the answer's send. The loop waits on the descriptors, not in `zmq_poll`, so it must read
    /// a socket it sent on before it waits again: without that, the dealer stalled after the
    /// first message (tried: 4 runs of 4; with the timeout's safety net, a second per message).
    @Test func aMessageArrivingBeforeASend_isReadWithoutWaitingForTheTimeout() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-bus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let endpoint = "ipc://\(dir.path)/signal.sock"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint])], inline: true)
        let dealer = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-4", connect: [endpoint])], inline: true)
        let answers = Atomic<Int>(0)
        router.attach { m in
            if !m.isTick { answers.add(1, ordering: .relaxed) }
        }
        let gaps = Mutex(Arrivals())
        dealer.attach({ m in
            guard !m.isTick else { return }
            gaps.withLock { $0.record() }
            dealer.send([Data("ack".utf8)], on: 0)
        }, roundEnd: { usleep(4_000) })
        // The router must know the dealer before it can address it.
        dealer.send([Data("hello".utf8)], on: 0)
        let deadline = ContinuousClock.now + .seconds(40)
        while answers.load(ordering: .relaxed) == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let messages = 300
        Self.sendPaced(router, to: "w-4", count: messages)
        let started = ContinuousClock.now
        try await Self.waitFor(messages, gaps, until: deadline)
        let result = gaps.withLock { $0 }
        print("BusLoop signal test: \(result.count) messages in \(ContinuousClock.now - started), slowest gap \(result.slowest)")
        #expect(result.count == messages)
        // A lost signal costs the loop's timeout, a second each time: all 300 within 20 s
        // leaves room for a loaded machine and none for that.
        #expect(ContinuousClock.now - started < .seconds(20))
        dealer.shutdown()
        router.shutdown()
        context.close()
    }

    /// While the loop waits, a send from another thread leaves on that thread (a worker's DONE
    /// from the pool wakes no bus thread); when the loop is busy it queues. Either way one
    /// thread's messages arrive in the order it sent them, whatever path each took: 50 paced
    /// sends find the loop waiting, then 3,000 back to back into a high-water mark of 20 with a
    /// slow reader mix the paths and the held-back queue. Without lending, `lentSends` is 0.
    @Test func aSendFromAnotherThread_whileTheLoopWaits_leavesOnThatThread_inOrder() async throws {
        let endpoint = "inproc://lent-\(UUID().uuidString.prefix(8))"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint])], inline: true)
        let dealer = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-6", connect: [endpoint], highWaterMark: 20)],
                                 inline: true)
        let received = Mutex<[Int]>([])
        router.attach { m in
            guard !m.isTick, let text = m.frames.last.map({ String(decoding: $0, as: UTF8.self) }), let n = Int(text) else { return }
            let count = received.withLock { r in r.append(n); return r.count }
            if count > 50 { usleep(100) }  // a slow reader: the dealer's sends reach the mark
        }
        dealer.attach { _ in }
        try await Task.sleep(for: .milliseconds(200))  // connected, and the loop waits
        let total = 3_050
        let sent = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            for i in 0..<50 {
                dealer.send([Data("\(i)".utf8)], on: 0)
                usleep(5_000)
            }
            for i in 50..<total { dealer.send([Data("\(i)".utf8)], on: 0) }
            sent.signal()
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while received.withLock({ $0.count }) < total, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sent.wait(timeout: .now() + 5) == .success)
        let got = received.withLock { $0 }
        #expect(got == Array(0..<total), "\(got.count) of \(total); first out of order: \(zip(got, 0...).first { $0 != $1 }.map { "\($0)" } ?? "none")")
        // The paced ones found the loop waiting (its only wake-ups here: none are due).
        #expect(dealer.lentSends >= 40, "\(dealer.lentSends) sends on the caller's thread")
        dealer.shutdown()
        router.shutdown()
        context.close()
    }

    /// A send on a lent socket processes its pending commands, as the loop's own sends do, and
    /// so may consume the descriptor's signal for a message that arrived meanwhile: the sender
    /// then tells the loop to read that socket. Here messages arrive every 3 ms at a waiting
    /// loop while another thread sends on the same socket every half millisecond; every
    /// message must be read in time.
    @Test func aMessageArrivingBeforeALentSend_isReadWithoutWaitingForTheTimeout() async throws {
        let endpoint = "inproc://lent-signal-\(UUID().uuidString.prefix(8))"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint])], inline: true)
        let dealer = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-7", connect: [endpoint])], inline: true)
        let hello = Atomic<Bool>(false)
        router.attach { m in if !m.isTick { hello.store(true, ordering: .releasing) } }
        let gaps = Mutex(Arrivals())
        dealer.attach { m in
            if !m.isTick { gaps.withLock { $0.record() } }
        }
        dealer.send([Data("hello".utf8)], on: 0)
        let deadline = ContinuousClock.now + .seconds(40)
        while !hello.load(ordering: .acquiring), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let messages = 300
        let stop = Atomic<Bool>(false)
        Thread.detachNewThread {
            while !stop.load(ordering: .relaxed) {
                dealer.send([Data("ping".utf8)], on: 0)
                usleep(500)
            }
        }
        Self.sendPaced(router, to: "w-7", count: messages)
        let started = ContinuousClock.now
        try await Self.waitFor(messages, gaps, until: deadline)
        stop.store(true, ordering: .relaxed)
        let result = gaps.withLock { $0 }
        print("BusLoop lent-signal test: \(result.count) messages in \(ContinuousClock.now - started), slowest gap \(result.slowest), \(dealer.lentSends) lent sends")
        #expect(result.count == messages)
        // Without the sender's word the loop stalled for seconds at once (5.8 s in two runs of
        // two: the lent sends' wake-ups kept its one-second timeout from firing); 3 ms apart,
        // two seconds leave room for a loaded machine and none for that.
        #expect(result.slowest < .seconds(2))
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(dealer.lentSends > 0)
        dealer.shutdown()
        router.shutdown()
        context.close()
    }

    /// The bus thread carries its name for the operating system (`top -H`, `perf`,
    /// `scripts/bench wakeups`): Foundation's `Thread.name` alone did not reach it on Linux
    /// (the thread showed as libdispatch's `com.apple.root.default-qos`, tried).
    @Test func theBusThread_isNamedForTheOperatingSystem() throws {
        let context = ZMQContext()
        let loop = try BusLoop(context: context, sockets: [.init(kind: .dealer, connect: ["inproc://named-\(UUID().uuidString.prefix(8))"])])
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap {
            try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(names.contains("tgc.bus"), "threads: \(names.sorted())")
        loop.shutdown()
        context.close()
    }

    /// The name the OS gives the calling thread.
    static func threadName() -> String {
        (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    }

    /// A task that prefers the loop as its executor runs on the bus thread, before and after
    /// a wait that the loop's own handler ends (ingest's poller: the ACK resumes it with no
    /// thread of the pool woken); once the loop has stopped, such a task still finishes, on
    /// Swift's pool. Without the executor the task runs on the pool (`oot.default-qos`); with
    /// the stopped loop dropping jobs instead of handing them on, it never finished (tried).
    @Test func aTaskPreferringTheLoop_runsOnTheBusThread_andFinishesAfterTheLoopStops() async throws {
        let endpoint = "inproc://executor-\(UUID().uuidString.prefix(8))"
        let context = ZMQContext()
        let router = try BusLoop(context: context, sockets: [.init(kind: .router, bind: [endpoint])], inline: true)
        let dealer = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-5", connect: [endpoint])], inline: true)
        router.attach { m in
            if !m.isTick { router.send(m.frames, on: 0) }
        }
        let waiter = Mutex<CheckedContinuation<Void, Never>?>(nil)
        dealer.attach { m in
            if !m.isTick { waiter.withLock { $0.take() }?.resume() }
        }
        #expect(!dealer.isCurrentThread)
        let names = try await withTaskExecutorPreference(dealer) { () async throws -> [String] in
            // Where `LocalIngestLink` may touch the broker's state: the loop's own thread.
            #expect(dealer.isCurrentThread && !router.isCurrentThread)
            let before = Self.threadName()
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                waiter.withLock { $0 = c }
                dealer.send([Data("echo me".utf8)], on: 0)
            }
            let after = Self.threadName()
            try await Task.sleep(for: .milliseconds(10))
            return [before, after, Self.threadName()]
        }
        #expect(names == ["tgc.bus", "tgc.bus", "tgc.bus"])
        dealer.shutdown()
        // Awaited in a task of its own with a bound: jobs lost by a stopped loop would hang the
        // task, and must fail this test instead of hanging the run.
        let afterStop = Mutex<String?>(nil)
        Task {
            let name = try await withTaskExecutorPreference(dealer) { () async throws -> String in
                try await Task.sleep(for: .milliseconds(10))
                #expect(!dealer.isCurrentThread)
                return Self.threadName()
            }
            afterStop.withLock { $0 = name }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while afterStop.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let name = afterStop.withLock { $0 }
        #expect(name != nil, "a task preferring the stopped loop did not finish in 30 s")
        #expect(name != "tgc.bus")
        router.shutdown()
        context.close()
    }

    /// Twenty hops and when the first and the last ran, read on the bus thread itself.
    final class Hops: Sendable {
        let count = Atomic<Int>(0)
        let span = Mutex<(first: ContinuousClock.Instant?, last: ContinuousClock.Instant?)>((nil, nil))
    }

    /// One hop: a task on the loop that starts the next, twenty in all.
    static func hop(on loop: BusLoop, _ hops: Hops) {
        Task(executorPreference: loop) {
            let now = ContinuousClock.now
            let n = hops.count.add(1, ordering: .relaxed).newValue
            hops.span.withLock { if n == 1 { $0.first = now } else if n == 20 { $0.last = now } }
            if n < 20 { hop(on: loop, hops) }
        }
    }

    /// A task that a job on the bus thread starts (or resumes) on the loop runs in the same
    /// round, not at the loop's next wake-up: queued from the loop's own thread, its job wrote
    /// no wake-up byte, and a loop that waited anyway ran it only when something else woke it
    /// (nothing does here before the one-second safety timeout: twenty hops then took 19 s). The
    /// span is read on the bus thread, not by the test's task (which a loaded pool resumes late).
    @Test func aTaskStartedByAJobOnTheLoop_runsWithoutWaitingForAWakeUp() async throws {
        let context = ZMQContext()
        let loop = try BusLoop(context: context, sockets: [.init(kind: .dealer, connect: ["inproc://hops-\(UUID().uuidString.prefix(8))"])],
                               inline: true)
        loop.attach { _ in }
        let hops = Hops()
        Task(executorPreference: loop) { Self.hop(on: loop, hops) }
        let deadline = ContinuousClock.now + .seconds(40)
        while hops.span.withLock({ $0.last }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let span = hops.span.withLock { $0 }
        #expect(hops.count.load(ordering: .relaxed) == 20)
        if let first = span.first, let last = span.last {
            #expect(last - first < .seconds(3), "twenty hops took \(last - first) on the bus thread")
        } else {
            Issue.record("twenty hops did not finish in 40 s (\(hops.count.load(ordering: .relaxed)) ran)")
        }
        loop.shutdown()
        context.close()
    }

    @Test func bindFailure_isThrown() throws {
        let context = ZMQContext()
        #expect(throws: ZMQError.self) {
            _ = try BusLoop(context: context, sockets: [.init(kind: .router, bind: ["ipc:///nonexistent-dir-xyz/a.sock"])])
        }
        context.close()
    }

    @Test func version_isLibzmq4() {
        #expect(ZMQContext.version.hasPrefix("4."))
    }
}
