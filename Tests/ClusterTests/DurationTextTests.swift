import ClusterRuntime
import Testing

/// The one duration syntax of every flag (roles and the `tgcluster` tool).
@Suite struct DurationTextTests {
    @Test func parsesANumberAndAUnit() {
        #expect(DurationText.parse("50ms") == .milliseconds(50))
        #expect(DurationText.parse("2s") == .seconds(2))
        #expect(DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(DurationText.parse("250us") == .microseconds(250))
        #expect(DurationText.parse("2m") == .seconds(120))
        #expect(DurationText.parse("1h") == .seconds(3600))
        #expect(DurationText.parse(" 30S ") == .seconds(30))
        #expect(DurationText.parse("0") == .zero)
    }

    @Test func refusesWhatItWouldHaveToGuess() throws {
        // A bare number: seconds or milliseconds? Refused, not guessed.
        #expect(DurationText.parse("40") == nil)
        #expect(DurationText.parse("fast") == nil)
        #expect(DurationText.parse("-1s") == nil)
        #expect(DurationText.parse("nanms") == nil)
        #expect(DurationText.parse("1e30h") == nil)
        let error = #expect(throws: (any Error).self) { try DurationText.parse("60", flag: "deadline") }
        #expect("\(error!)".contains("--deadline"))
    }
}
