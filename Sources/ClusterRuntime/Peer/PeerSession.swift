import Wire

/// The peer side of the protocol, shared by worker and sequencer, as a pure state machine:
/// frames and clock ticks in, actions out, the clock passed in (after the ZeroMQ guide's
/// Paranoid Pirate worker).
///
/// - READY at start, with the peer's capacity and fingerprint.
/// - A broker that answers DISCONNECT does not know this peer (it restarted, or expired it):
///   READY again, at most once per heartbeat interval (the broker answers every message so).
/// - A broker silent for `liveness` intervals is gone or restarted: READY again (any answer
///   counts as heard), once per silent period.
/// - Both mean the broker may have lost what it held: `brokerForgot` (the sequencer sends its
///   pending outbox again). Silence also says `brokerSilent`: the broker has counted this peer
///   lost by now and given its jobs to others (a worker on another host then stops what it
///   runs, as the core host's supervisor would kill a local one).
/// - REFUSE is final: the peer runs another bot's handler table and must stop.
/// - Draining: DISCONNECT once, and no READY any more whatever the broker says. The broker
///   answers DISCONNECT after every job it gave this peer (one pipe, in order): the peer may
///   leave once it has that answer and nothing runs (`released`), not before — a job sent just
///   before the broker read the DISCONNECT would otherwise run with no DONE after it, and run
///   again elsewhere.
///
/// Heartbeats go out from the bus thread (`BusLoop.Heartbeat`), not from here: a process whose
/// handlers hold every thread must still look alive; the deadline is the watchdog's.
struct PeerSession: Sendable {
    struct Configuration: Sendable {
        var heartbeat: Duration
        /// Intervals of silence after which the broker is presumed gone.
        var liveness: Int
    }

    enum Action: Sendable, Equatable {
        /// Send this frame to the broker (READY, DISCONNECT).
        case send(Frame)
        /// The broker may have restarted and lost what it held of this peer's work.
        case brokerForgot
        /// Nothing heard for `liveness` intervals: to the broker, this peer is lost.
        case brokerSilent
        /// Hand the frame just received to the role (JOB, RESULT, EMITTED). It names no frame:
        /// the caller holds it, and an action that carried it was a copy of the frame (its
        /// payload retained and released) and an array per frame (~600 instructions a job in a
        /// worker, `scripts/bench instructions`).
        case deliver
        /// The broker refused this peer: stop with the boot-error code, never retry.
        case refused(reason: String)
    }

    let configuration: Configuration
    let ready: Ready
    private(set) var lastHeard: ContinuousClock.Instant
    private(set) var lastReady: ContinuousClock.Instant
    private(set) var draining = false
    /// When the drain began.
    private(set) var drainStarted: ContinuousClock.Instant?
    /// The broker let go: its last frame was a DISCONNECT (its answer to a drain, a stopping
    /// broker's farewell, or "who are you?"), and it gives this peer nothing more until READY.
    /// Once draining, a DISCONNECT stays final whatever follows it (heartbeats, results).
    private(set) var letGo = false

    init(ready: Ready, configuration: Configuration, now: ContinuousClock.Instant) {
        self.ready = ready
        self.configuration = configuration
        lastHeard = now
        lastReady = now
    }

    /// The first message.
    mutating func start(now: ContinuousClock.Instant) -> [Action] {
        lastReady = now
        lastHeard = now
        return [.send(.ready(ready))]
    }

    /// `[.deliver]`, made once: the answer to almost every frame, with no array made per frame.
    private static let deliverIt: [Action] = [.deliver]

    /// A frame from the broker; any frame counts as heard.
    mutating func received(_ frame: Frame, now: ContinuousClock.Instant) -> [Action] {
        lastHeard = now
        // Once draining, the broker's DISCONNECT is final: it gives a draining peer nothing
        // more, while heartbeats and results may still follow it.
        if case .disconnect = frame { letGo = true } else if !draining { letGo = false }
        switch frame {
        case .heartbeat:
            return []
        case .refuse(let reason):
            return [.refused(reason: reason)]
        case .disconnect:
            guard !draining, now - lastReady > configuration.heartbeat else { return [] }
            lastReady = now
            return [.send(.ready(ready)), .brokerForgot]
        default:
            return Self.deliverIt
        }
    }

    /// The clock (about every heartbeat interval).
    mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        guard !draining, now - lastHeard > configuration.heartbeat * configuration.liveness else { return [] }
        // Introduce ourselves again; the silence counts from now, so this repeats once per
        // silent period, not once per tick.
        lastHeard = now
        lastReady = now
        return [.send(.ready(ready)), .brokerForgot, .brokerSilent]
    }

    /// Stop taking work: the broker gives this peer nothing more; what runs finishes.
    mutating func drain(now: ContinuousClock.Instant) -> [Action] {
        guard !draining else { return [] }
        draining = true
        drainStarted = now
        return [.send(.disconnect)]
    }

    /// Whether a draining peer has every job the broker will give it: the broker let go (it
    /// answered the drain, or its last word before it was a DISCONNECT), or it is gone (silent
    /// for three heartbeat intervals: a live one, heartbeating on its tick whatever it sent
    /// last, is heard within two), or it never answers (the drain is `liveness` intervals old:
    /// an older broker that does not answer DISCONNECT).
    func released(now: ContinuousClock.Instant) -> Bool {
        guard draining, let drainStarted else { return false }
        return letGo || now - lastHeard > configuration.heartbeat * 3
            || now - drainStarted >= configuration.heartbeat * configuration.liveness
    }
}
