import Testing
@testable import BotAPI

@Suite("Duration.seconds")
struct DurationSecondsTests {
    /// Seconds as a `Double`, whole and fractional, either sign, from nanoseconds to days, on
    /// both sides of the ±9.2 s read as one 64-bit integer: the value `components` gives, to a
    /// few units in the last place.
    @Test func aDurationsSeconds_areItsComponentsAsADouble() {
        let cases: [Duration] = [.zero, .nanoseconds(1), .microseconds(250), .milliseconds(1500) + .nanoseconds(7), .seconds(-2) + .milliseconds(250),
                                 .seconds(86_400 * 3) + .nanoseconds(999_999_999), .seconds(-30),
                                 .nanoseconds(9_223_372_036), .nanoseconds(9_223_372_037), .nanoseconds(-9_223_372_036), .nanoseconds(-9_223_372_037)]
        for d in cases {
            let expected = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            #expect(abs(d.seconds - expected) <= abs(expected) * 1e-15, "\(d)")
        }
        #expect(Duration.milliseconds(1500).seconds == 1.5)
        #expect((Duration.seconds(-2) + .milliseconds(250)).seconds == -1.75)
        #expect(Duration.nanoseconds(1).seconds == 1e-9)
    }
}
