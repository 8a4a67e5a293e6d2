import Foundation
import Testing
import Synchronization
@testable import Bus

/// A loop's guest (`BusLoop.host`): turned on the bus thread when its descriptor signals and
/// when its deadline comes, and let go once when the loop stops.
@Suite("BusLoop guest")
struct BusGuestTests {
    /// A guest whose descriptor is a pipe: a byte written makes it readable, a turn reads it.
    final class PipeGuest: BusGuest {
        struct Counts {
            var turns = 0
            var bytes = 0
            var offThread = 0
            var leaves = 0
            var deadline: ContinuousClock.Instant?
            /// When the last byte was written, until a turn reads it.
            var pokedAt: ContinuousClock.Instant?
            /// The longest a byte waited for its turn, or a deadline past its time, read on the
            /// bus thread: a test's own task, which a loaded pool may resume late, is not timed.
            var slowest: Duration = .zero
        }
        let counts = Mutex(Counts())
        let readEnd: Int32
        let writeEnd: Int32

        init() {
            var fds: [Int32] = [0, 0]
            precondition(pipe(&fds) == 0)
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            (readEnd, writeEnd) = (fds[0], fds[1])
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }

        var descriptor: Int32 { readEnd }
        func nextDeadline() -> ContinuousClock.Instant? { counts.withLock { $0.deadline } }

        func turn() {
            var buffer = [UInt8](repeating: 0, count: 64)
            var n = 0
            while true {
                let r = read(readEnd, &buffer, buffer.count)
                if r <= 0 { break }
                n += r
            }
            let onBus = BusLoopTests.threadName() == "tgc.bus"
            let now = ContinuousClock.now
            counts.withLock { c in
                c.turns += 1
                c.bytes += n
                if !onBus { c.offThread += 1 }
                if n > 0, let poked = c.pokedAt { c.slowest = max(c.slowest, now - poked); c.pokedAt = nil }
                // A deadline met is over (as the HTTP loop's would be, its transfer ended).
                if let due = c.deadline, now >= due { c.slowest = max(c.slowest, now - due); c.deadline = nil }
            }
        }

        func leave() { counts.withLock { $0.leaves += 1 } }

        func poke() {
            counts.withLock { $0.pokedAt = .now }
            var byte: UInt8 = 1
            _ = write(writeEnd, &byte, 1)
        }
    }

    /// An idle inline loop (no tick, no peer) hosting a new `PipeGuest`.
    static func hostedGuest() throws -> (ZMQContext, BusLoop, PipeGuest) {
        let context = ZMQContext()
        let loop = try BusLoop(context: context, sockets: [.init(kind: .dealer, connect: ["inproc://guest-\(UUID().uuidString.prefix(8))"])],
                               inline: true)
        loop.attach { _ in }
        let guest = PipeGuest()
        loop.host(guest)
        return (context, loop, guest)
    }

    static func waitUntil(_ bound: Duration = .seconds(10), _ condition: () -> Bool) async throws {
        let end = ContinuousClock.now + bound
        while !condition(), ContinuousClock.now < end { try await Task.sleep(for: .milliseconds(5)) }
    }

    /// Each byte on the guest's descriptor is read by a turn on the bus thread, the loop
    /// otherwise idle (no tick: only the guest's descriptor can wake it before its one-second
    /// safety timeout, so a loop that did not poll it would read each byte a second late).
    @Test func aGuestsDescriptor_wakesTheLoop_andTheGuestTurnsOnTheBusThread() async throws {
        let (context, loop, guest) = try Self.hostedGuest()
        for i in 1...20 {
            guest.poke()
            try await Self.waitUntil { guest.counts.withLock { $0.bytes } == i }
            if guest.counts.withLock({ $0.bytes }) != i { break }
        }
        let counts = guest.counts.withLock { $0 }
        #expect(counts.bytes == 20)
        #expect(counts.offThread == 0)
        #expect(counts.slowest < .milliseconds(500), "a byte waited \(counts.slowest): the descriptor did not wake the loop")
        loop.shutdown()
        #expect(guest.counts.withLock { $0.leaves } == 1)
        context.close()
    }

    /// With nothing on its descriptor, the guest turns when its deadline comes (the HTTP
    /// loop's timeouts), not at the loop's one-second safety timeout.
    @Test func aGuestsDeadline_turnsIt_withNothingOnItsDescriptor() async throws {
        let (context, loop, guest) = try Self.hostedGuest()
        try await Self.waitUntil { guest.counts.withLock { $0.turns } >= 1 }
        #expect(guest.counts.withLock { $0.turns } >= 1, "no turn at arrival")
        // Ten deadlines 30 ms ahead, one after another, each set before a poke (whose turn,
        // early, leaves it): each met at its time, or ~a second late at the loop's safety timeout.
        for _ in 0..<10 {
            guest.counts.withLock { $0.deadline = .now + .milliseconds(30) }
            guest.poke()
            try await Self.waitUntil { guest.counts.withLock { $0.deadline == nil } }
        }
        let counts = guest.counts.withLock { $0 }
        #expect(counts.deadline == nil)
        #expect(counts.slowest < .milliseconds(500), "a 30 ms deadline was met \(counts.slowest) late")
        #expect(guest.counts.withLock { $0.offThread } == 0)
        loop.shutdown()
        context.close()
    }

    /// A loop that never polls (a task on it yields without end: the loop goes round while
    /// jobs are queued) still turns its guest, every `guestBusyInterval`: the poke is read while
    /// the task runs. Turned only when the loop polls, it would be read after the task gave up
    /// (5 s).
    @Test func aBusyLoop_stillTurnsItsGuest() async throws {
        let (context, loop, guest) = try Self.hostedGuest()
        try await Self.waitUntil { guest.counts.withLock { $0.turns } >= 1 }
        let sawIt = try await withTaskExecutorPreference(loop) { () async throws -> Bool in
            let end = ContinuousClock.now + .seconds(5)
            guest.poke()
            while ContinuousClock.now < end {
                if guest.counts.withLock({ $0.bytes }) == 1 { return true }
                await Task.yield()
            }
            return false
        }
        #expect(sawIt, "the guest did not turn while the loop was busy")
        loop.shutdown()
        context.close()
    }

    /// A guest hosted after the loop stopped leaves at once (its own thread takes over again);
    /// a hosted one leaves once, at the stop.
    @Test func aGuest_leavesOnce_whenTheLoopStops_orAtOnceAfter() async throws {
        let context = ZMQContext()
        let loop = try BusLoop(context: context, sockets: [.init(kind: .dealer, connect: ["inproc://guest-\(UUID().uuidString.prefix(8))"])])
        let guest = PipeGuest()
        loop.host(guest)
        loop.shutdown()
        loop.shutdown()
        #expect(guest.counts.withLock { $0.leaves } == 1)
        let late = PipeGuest()
        loop.host(late)
        #expect(late.counts.withLock { $0.leaves } == 1)
        context.close()
    }
}
