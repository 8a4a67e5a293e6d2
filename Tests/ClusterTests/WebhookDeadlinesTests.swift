import Foundation
import Testing
@testable import ClusterRuntime

/// A webhook connection's clock without sockets: a request must be whole within its deadline
/// from its first byte; the server's own answering time does not count; idle has its own.
@Suite("WebhookDeadlines")
struct WebhookDeadlinesTests {
    let t0 = ContinuousClock.now

    @Test func aSlowRequest_expiresAtItsDeadline_theServersTimeDoesNotCount_idleHasItsOwn() {
        var limits = WebhookDeadlines.Limits()
        limits.request = .seconds(10)
        limits.idle = .seconds(60)
        var d = WebhookDeadlines(limits: limits, openedAt: t0)
        #expect(d.deadline == t0 + .seconds(60))
        d.received(now: t0 + .seconds(1))
        d.received(now: t0 + .seconds(9))
        #expect(d.deadline == t0 + .seconds(11), "a byte now and then does not move the request's deadline (slowloris)")
        #expect(!d.expired(now: t0 + .seconds(10)))
        #expect(d.expired(now: t0 + .seconds(11)))
        d.requestComplete()
        #expect(d.deadline == nil && !d.expired(now: t0 + .seconds(100)), "waiting for the broker is the server's time")
        d.responded(now: t0 + .seconds(100))
        #expect(d.deadline == t0 + .seconds(160))
        d.received(now: t0 + .seconds(120))
        #expect(d.deadline == t0 + .seconds(130), "the next request has its own deadline")
    }
}
