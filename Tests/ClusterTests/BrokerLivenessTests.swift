import Foundation
import Testing
import Wire
@testable import ClusterRuntime

/// What keeps a peer alive at the broker: any frame it sends, not only heartbeats. A peer's bus
/// loop sends a heartbeat only when it sent nothing else for an interval, so a worker that sends
/// its metrics every second sends no heartbeat at all when the interval is a second or more
/// (`Heartbeats (processes)` runs that case against real processes).
@Suite("Broker liveness")
struct BrokerLivenessTests {
    typealias T = BrokerStateTests
    let t0 = ContinuousClock.now

    /// Heartbeats of 1 s, liveness 4: a worker heard from by metrics alone, once a second for
    /// 10 s, is never lost, and its metrics are not counted as malformed frames.
    @Test func metricsAlone_keepAPeerAlive() {
        var s = T.makeState { $0.heartbeatInterval = .seconds(1); $0.liveness = 4 }
        _ = s.received(.ready(Ready(capacity: 5, role: .worker)), from: T.w1, now: t0)
        var now = t0
        var lost = false
        for step in 1...20 {
            now += .milliseconds(500)
            if step % 2 == 0 { _ = s.received(.metrics(Data("{}".utf8)), from: T.w1, now: now) }
            lost = lost || s.tick(now: now).contains { if case .lost = $0 { return true }; return false }
        }
        #expect(!lost)
        #expect(s.counters.malformed == 0)
    }

    /// Metrics from a peer the broker does not know (it restarted, or expired the peer): the
    /// answer is DISCONNECT, so the peer says READY again.
    @Test func metricsFromAnUnknownPeer_areAnsweredWithDisconnect() {
        var s = T.makeState()
        #expect(s.received(.metrics(Data("{}".utf8)), from: T.w2, now: t0) == [.send(peer: T.w2, .disconnect)])
    }
}
