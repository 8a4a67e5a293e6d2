import Foundation
import Testing
import Wire
@testable import ClusterRuntime

/// The broker's figures in `broker.json`, as `tgcluster status` reads them.
@Suite("StatsWriter")
struct StatsWriterTests {
    /// Four updates finished 10, 20, 30 and 40 ms after they were accepted: the median and the
    /// 99th percentile in milliseconds.
    @Test func latencies_areWrittenInMilliseconds() throws {
        let t0 = ContinuousClock.now
        var s = BrokerStateTests.makeState()
        _ = s.received(.ready(Ready(capacity: 10, role: .worker)), from: BrokerStateTests.w1, now: t0)
        let sent = BrokerStateTests.jobs(s.updates(1, (1...4).map { BrokerStateTests.update($0, chat: $0) }, from: BrokerStateTests.ingest, now: t0))
        #expect(sent.count == 4)
        for (k, job) in sent.enumerated() {
            _ = s.received(.done(jobID: job.job.id, outcome: .ok, output: Data()), from: BrokerStateTests.w1, now: t0 + .milliseconds(10 * (k + 1)))
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var writer = StatsWriter(file: dir.appendingPathComponent("broker.json"))
        writer.write(s, now: t0 + .seconds(2))
        let status = try JSONDecoder().decode(BrokerStatus.self, from: Data(contentsOf: dir.appendingPathComponent("broker.json")))
        #expect(abs(status.latencyP50 - 30) < 0.001)
        #expect(abs(status.latencyP99 - 40) < 0.001)
        #expect(status.completed == 4)
    }
}
