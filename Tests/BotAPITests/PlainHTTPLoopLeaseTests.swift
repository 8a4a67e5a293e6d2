import Foundation
import TGClusterTesting
import Testing
import Synchronization
@testable import BotAPI

/// The plain-HTTP loop lent to another thread's event loop (`PlainHTTPLoop.lend()`, what
/// ingest's bus thread does): answers read on the lessee's thread, deadlines kept, calls in
/// flight finished by the loop's own thread once the lease ends, shutdown while lent.
@Suite("PlainHTTPLoop lease")
struct PlainHTTPLoopLeaseTests {
    /// Drives a lease from a thread of its own, as a bus loop does: polls the descriptor until
    /// the lease's deadline (50 ms at most, to see `finish`), turns it when it is readable or
    /// the deadline has come.
    final class Driver: Sendable {
        private let stop = Atomic<Bool>(false)
        private let done = DispatchSemaphore(value: 0)

        init(_ lease: PlainHTTPLoop.Lease) {
            Thread.detachNewThread { [self] in
                while !stop.load(ordering: .relaxed) {
                    var fd = pollfd(fd: lease.descriptor, events: Int16(POLLIN), revents: 0)
                    let due = lease.nextDeadline()
                    var timeout: Int64 = 50
                    if let due { timeout = min(timeout, max(0, Int64(((due - .now) / .milliseconds(1)).rounded(.up)))) }
                    let ready = poll(&fd, 1, Int32(timeout))
                    if ready > 0 || due.map({ ContinuousClock.now >= $0 }) == true { lease.turn() }
                }
                done.signal()
            }
        }

        /// Stops driving (returns once the thread has stopped turning the lease).
        func finish() {
            stop.store(true, ordering: .relaxed)
            done.wait()
        }
    }

    /// Twenty calls, all read by the lessee's turns on one kept-alive connection; given back,
    /// the loop's own thread answers the next five on the same connection.
    @Test func aLentLoop_readsItsAnswersOnTheLesseesThread_andGoesBackToItsOwn() async throws {
        let server = try await StubBotServer { _, _ in .ok("true") }
        let loop = PlainHTTPLoop()
        let lease = try #require(loop.lend())
        #expect(loop.lend() == nil, "lent once at a time")
        let driver = Driver(lease)
        for i in 0..<20 {
            let r = try await loop.perform(PlainHTTPLoopTests.call(server.baseURL, "sendMessage", body: #"{"chat_id":\#(i)}"#))
            #expect(r.status == 200)
        }
        #expect(lease.transfersEnded == 20, "answers read by the loop's own thread while lent")
        driver.finish()
        lease.end()
        lease.end()
        for _ in 0..<5 {
            #expect(try await loop.perform(PlainHTTPLoopTests.call(server.baseURL, "getMe")).status == 200)
        }
        #expect(lease.transfersEnded == 20)
        #expect(server.connections == 1)
        let again = try #require(loop.lend(), "lent again once given back")
        again.end()
        loop.shutdown()
        try await server.shutdown()
    }

    /// A call's timeout fires while lent: the lease publishes it as its deadline.
    @Test func aLentLoop_keepsItsDeadlines() async throws {
        let server = try await StubBotServer { _, _ in StubBotServer.Response(hang: true) }
        let loop = PlainHTTPLoop()
        let lease = try #require(loop.lend())
        let driver = Driver(lease)
        var request = PlainHTTPLoopTests.call(server.baseURL, "getMe")
        request.totalTimeout = .milliseconds(300)
        let call = Task { try await loop.perform(request) }
        // Bounded: without the deadline nothing would end the call; cancelled then, it ends
        // with a CancellationError, which the expectation below refuses.
        let bound = Task {
            try await Task.sleep(for: TestBounds.notStuck(.seconds(20)))
            call.cancel()
        }
        await #expect {
            try await call.value
        } throws: { error in
            (error as? CurlError).map { $0.isTimeout && $0.message.hasPrefix("operation timed out after 300 milliseconds") } ?? false
        }
        bound.cancel()
        #expect(lease.transfersEnded == 1)
        driver.finish()
        lease.end()
        loop.shutdown()
        try await server.shutdown()
    }

    /// The lease ends while a call waits for its answer (held by the server until then): the
    /// loop's own thread reads it.
    @Test func aCallInFlight_whenTheLeaseEnds_isFinishedByTheLoopsOwnThread() async throws {
        let gate = DispatchSemaphore(value: 0)
        let body = #"{"ok":true,"result":true}"#
        let server = try ScriptedHTTPServer([.init(pieces: ["HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"], gate: gate)])
        let loop = PlainHTTPLoop()
        let lease = try #require(loop.lend())
        let driver = Driver(lease)
        let call = Task { try await loop.perform(PlainHTTPLoopTests.call(server.baseURL, "getMe")) }
        for _ in 0..<2000 where server.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.requests.count == 1)
        driver.finish()
        lease.end()
        gate.signal()
        #expect(try await call.value.status == 200)
        #expect(lease.transfersEnded == 0)
        loop.shutdown()
        server.shutdown()
    }

    /// Shut down while lent: the parked thread wakes and fails what is in flight; the lease's
    /// later turns do nothing, and its descriptor is quiet (tried: readable without the
    /// shutdown's wake-up read).
    @Test func shutdown_whileLent_failsWhatIsInFlight_andReturns() async throws {
        let server = try await StubBotServer { _, _ in StubBotServer.Response(hang: true) }
        let loop = PlainHTTPLoop()
        let lease = try #require(loop.lend())
        let driver = Driver(lease)
        var hung = PlainHTTPLoopTests.call(server.baseURL, "getUpdates")
        hung.totalTimeout = .seconds(60)
        let call = Task { try await loop.perform(hung) }
        for _ in 0..<2000 where server.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        #expect(server.requests.count == 1)
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            loop.shutdown()
            stopped.signal()
        }
        #expect(stopped.wait(timeout: .now() + 20) == .success, "shutdown() did not return while lent")
        await #expect {
            try await call.value
        } throws: { error in
            (error as? CurlError)?.message == "client is shut down"
        }
        lease.turn()
        driver.finish()
        // Quiet once shut down: a lessee that still polls the descriptor until its own loop
        // stops would otherwise spin (the shutdown's wake-up stayed unread).
        var fd = pollfd(fd: lease.descriptor, events: Int16(POLLIN), revents: 0)
        #expect(poll(&fd, 1, 0) == 0, "the shut-down loop's descriptor is readable")
        lease.end()
        try await server.shutdown()
    }
}
