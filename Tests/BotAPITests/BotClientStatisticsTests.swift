import Testing
@testable import BotAPI

/// The client's counts for the metrics (`BotClientStatistics`).
@Suite("BotClientStatistics")
struct BotClientStatisticsTests {
    /// Calls counted by method and outcome, in runs and interleaved (the one counted last is
    /// looked at first, the rest found in the list), read back as the table the metrics take.
    @Test func callsByMethodAndOutcome_readBackAsOneTable() {
        let statistics = BotClientStatistics()
        var expected: [String: [String: Int]] = [:]
        let calls = [("sendMessage", "ok"), ("sendMessage", "ok"), ("answerCallbackQuery", "ok"), ("sendMessage", "429"),
                     ("sendMessage", "ok"), ("sendMessage", "429"), ("getUpdates", "timeout"), ("answerCallbackQuery", "4xx")]
        for round in 0..<50 {
            for (i, (method, outcome)) in calls.enumerated() where (round + i) % 3 != 0 {
                statistics.finished(method, outcome: outcome)
                expected[method, default: [:]][outcome, default: 0] += 1
            }
        }
        statistics.retried()
        statistics.refused()
        statistics.waited(1.5)
        let figures = statistics.snapshot
        #expect(figures.calls == expected)
        #expect(figures.retries == 1 && figures.tooManyRequests == 1 && figures.floodWaitSeconds == 1.5)
        #expect(BotClientStatistics().snapshot == BotClientStatistics.Figures())
    }
}
