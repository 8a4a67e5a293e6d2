@testable import ClusterRuntime
import Testing

/// What the supervisor tells systemd, and when, without a socket.
@Suite("NotifySchedule")
struct NotifyScheduleTests {
    let t0 = ContinuousClock.now

    @Test func ready_onlyOnceTheClusterIsUp_andOnce() {
        var s = NotifySchedule(watchdog: nil)
        #expect(s.tick(now: t0, up: false, status: "starting") == ["STATUS=starting"])
        #expect(s.tick(now: t0 + .milliseconds(50), up: false, status: "starting") == [])
        #expect(s.tick(now: t0 + .milliseconds(100), up: true, status: "starting") == ["READY=1"])
        #expect(s.tick(now: t0 + .milliseconds(150), up: true, status: "starting") == [])
        #expect(s.ready)
    }

    /// When the supervisor's loop must turn for the service manager: soon until READY (the
    /// cluster's readiness is read, not announced), then at the watchdog's half interval; with
    /// neither, never (the loop's own second bounds it).
    @Test func theNextDueTurn_isSoonBeforeReady_thenTheWatchdogs() {
        var s = NotifySchedule(watchdog: .seconds(2))
        #expect(s.nextDue(now: t0) == t0 + .milliseconds(50))
        _ = s.tick(now: t0, up: true, status: "x")
        #expect(s.nextDue(now: t0 + .milliseconds(10)) == t0 + .seconds(1))
        var quiet = NotifySchedule(watchdog: nil)
        _ = quiet.tick(now: t0, up: true, status: "x")
        #expect(quiet.nextDue(now: t0) == nil)
    }

    @Test func status_whenItChanges_atMostOnceASecond() {
        var s = NotifySchedule(watchdog: nil)
        _ = s.tick(now: t0, up: true, status: "a")
        #expect(s.tick(now: t0 + .milliseconds(500), up: true, status: "b") == [])
        #expect(s.tick(now: t0 + .seconds(1), up: true, status: "b") == ["STATUS=b"])
        #expect(s.tick(now: t0 + .seconds(5), up: true, status: "b") == [])
    }

    @Test func watchdog_atHalfTheInterval_fromTheFirstTurn() {
        var s = NotifySchedule(watchdog: .seconds(2))
        #expect(s.tick(now: t0, up: false, status: "x").contains("WATCHDOG=1"))
        #expect(!s.tick(now: t0 + .milliseconds(900), up: false, status: "x").contains("WATCHDOG=1"))
        #expect(s.tick(now: t0 + .seconds(1), up: false, status: "x").contains("WATCHDOG=1"))
        var none = NotifySchedule(watchdog: nil)
        #expect(!none.tick(now: t0, up: false, status: "x").contains("WATCHDOG=1"))
    }

    @Test func stopping() {
        var s = NotifySchedule(watchdog: nil)
        #expect(s.stopping().first == "STOPPING=1")
    }
}
