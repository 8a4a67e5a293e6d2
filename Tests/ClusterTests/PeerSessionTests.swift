import Foundation
import Testing
import Wire
@testable import ClusterRuntime

/// The peer side of the protocol (worker and sequencer) without sockets or clocks.
@Suite("PeerSession")
struct PeerSessionTests {
    let t0 = ContinuousClock.now
    static let ready = Ready(capacity: 8, role: .worker, fingerprint: 42, program: "bot", pid: 7)
    static let config = PeerSession.Configuration(heartbeat: .milliseconds(500), liveness: 4)

    func started() -> PeerSession {
        var s = PeerSession(ready: Self.ready, configuration: Self.config, now: t0)
        #expect(s.start(now: t0) == [.send(.ready(Self.ready))])
        return s
    }

    @Test func work_isDelivered_heartbeatsAreNot_andEverythingCountsAsHeard() {
        var s = started()
        let job = Frame.job(Job(id: 1, attempt: 1, payload: .task(name: "x", input: Data())))
        #expect(s.received(job, now: t0 + .seconds(1)) == [.deliver])
        #expect(s.received(.heartbeat, now: t0 + .seconds(2)) == [])
        #expect(s.lastHeard == t0 + .seconds(2))
        #expect(s.tick(now: t0 + .seconds(3)) == [], "1 s of silence is within 4 heartbeats")
    }

    @Test func disconnectFromABrokerThatForgotUs_meansReadyAgain_atMostOncePerHeartbeat() {
        var s = started()
        #expect(s.received(.disconnect, now: t0 + .milliseconds(100)) == [], "too soon after the first READY")
        let again: [PeerSession.Action] = [.send(.ready(Self.ready)), .brokerForgot]
        #expect(s.received(.disconnect, now: t0 + .milliseconds(600)) == again)
        // The broker answers every message of an unknown peer so: one READY per interval.
        for ms in stride(from: 650, to: 1100, by: 50) {
            #expect(s.received(.disconnect, now: t0 + .milliseconds(ms)) == [])
        }
        #expect(s.received(.disconnect, now: t0 + .milliseconds(1150)) == again)
    }

    @Test func aSilentBroker_isGreetedAgain_oncePerSilentPeriod() {
        var s = started()
        #expect(s.tick(now: t0 + .seconds(2)) == [], "exactly 4 heartbeats is not past it")
        let again: [PeerSession.Action] = [.send(.ready(Self.ready)), .brokerForgot, .brokerSilent]
        #expect(s.tick(now: t0 + .milliseconds(2100)) == again)
        #expect(s.tick(now: t0 + .milliseconds(2600)) == [], "the silence counts from the READY")
        #expect(s.tick(now: t0 + .milliseconds(4200)) == again)
    }

    @Test func refusal_isFinal() {
        var s = started()
        #expect(s.received(.refuse(reason: "other tables"), now: t0) == [.refused(reason: "other tables")])
    }

    @Test func draining_saysDisconnectOnce_andNeverReadyAgain() {
        var s = started()
        #expect(s.drain(now: t0) == [.send(.disconnect)])
        #expect(s.drain(now: t0) == [])
        #expect(s.received(.disconnect, now: t0 + .seconds(5)) == [])
        #expect(s.tick(now: t0 + .seconds(60)) == [])
        // Results of work still running keep arriving.
        let result = Frame.result(taskID: 3, outcome: .ok, output: Data())
        #expect(s.received(result, now: t0 + .seconds(61)) == [.deliver])
    }

    /// A draining peer may leave only once the broker answered its DISCONNECT: a job the broker
    /// sent just before it read the DISCONNECT comes first (one pipe, in order), and a peer gone
    /// by then leaves it with no DONE, to run again elsewhere. A broker that is gone, or never
    /// answers, holds the peer for a bounded time only.
    @Test func aDrainingPeer_isReleasedByTheBrokersAnswer_orByItsSilence_orAfterLivenessIntervals() {
        let job = Frame.job(Job(id: 9, attempt: 1, payload: .task(name: "x", input: Data())))
        var s = started()
        #expect(!s.released(now: t0), "not draining")
        _ = s.drain(now: t0)
        #expect(!s.released(now: t0), "heard just now, no answer yet")
        #expect(s.received(job, now: t0 + .milliseconds(10)) == [.deliver], "a job sent before the broker read it")
        #expect(!s.released(now: t0 + .milliseconds(10)))
        #expect(s.received(.disconnect, now: t0 + .milliseconds(20)) == [])
        #expect(s.released(now: t0 + .milliseconds(20)), "the answer")
        // Heartbeats and results may follow the answer while the peer's last jobs run: it
        // stays released (a peer that waited for silence left a second late after each drain).
        _ = s.received(.heartbeat, now: t0 + .milliseconds(500))
        #expect(s.released(now: t0 + .milliseconds(510)))

        // Heartbeats but no answer (an older broker): released after liveness intervals.
        var old = started()
        _ = old.drain(now: t0)
        for ms in stride(from: 400, to: 2000, by: 400) {
            _ = old.received(.heartbeat, now: t0 + .milliseconds(ms))
            #expect(!old.released(now: t0 + .milliseconds(ms + 100)), "at \(ms + 100) ms")
        }
        _ = old.received(.heartbeat, now: t0 + .milliseconds(1990))
        #expect(old.released(now: t0 + .seconds(2)), "4 heartbeats of 500 ms")

        // A broker gone without a word (it crashed): released once it has been silent for
        // three intervals; a stopping one says DISCONNECT to every peer, and that is enough.
        var gone = started()
        _ = gone.received(.heartbeat, now: t0 + .milliseconds(100))
        _ = gone.drain(now: t0 + .milliseconds(200))
        #expect(!gone.released(now: t0 + .milliseconds(1500)), "a live broker may be quiet for two intervals")
        #expect(gone.released(now: t0 + .milliseconds(1601)), "silent for more than 3 × 500 ms")
        var farewell = started()
        _ = farewell.received(.disconnect, now: t0 + .milliseconds(600))
        _ = farewell.drain(now: t0 + .milliseconds(700))
        #expect(farewell.released(now: t0 + .milliseconds(700)), "the broker's last word was DISCONNECT")
    }
}
