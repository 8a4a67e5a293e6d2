@testable import ClusterRuntime
import Testing

@Suite("StallMeter")
struct StallMeterTests {
    let t0 = ContinuousClock.now

    /// Ticks about once per interval, late by less than a second interval, are no stall; a gap
    /// of two intervals or more is reported with its length, once, and the meter goes on
    /// from the late tick.
    @Test func aGapOfTwoIntervals_isReported_onceAndWithItsLength() {
        var meter = StallMeter(interval: .milliseconds(500), start: t0 - .milliseconds(500))
        #expect(meter.tick(now: t0) == nil)
        #expect(meter.tick(now: t0 + .milliseconds(500)) == nil)
        #expect(meter.tick(now: t0 + .milliseconds(1400)) == nil, "900 ms: one late tick")
        #expect(meter.tick(now: t0 + .milliseconds(3900)) == .milliseconds(2500))
        #expect(meter.tick(now: t0 + .milliseconds(4400)) == nil, "counted from the late tick")
        #expect(meter.tick(now: t0 + .milliseconds(5400)) == .milliseconds(1000), "exactly two intervals is reported")
    }

    /// A loop held from its start to its first tick (a job that came as the peer started) is
    /// reported too: the gap counts from the start (without it, the first tick had nothing
    /// before it and the worker-loop test's stall went unreported).
    @Test func aStallBeforeTheFirstTick_isReported() {
        var meter = StallMeter(interval: .milliseconds(500), start: t0)
        #expect(meter.tick(now: t0 + .milliseconds(2600)) == .milliseconds(2600))
    }
}
