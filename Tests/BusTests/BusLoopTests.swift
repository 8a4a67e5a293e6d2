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
