/// One webhook connection's clock, as a pure state machine (the clock passed in): a client
/// must send a whole request within `request` of its first byte, and may keep an idle
/// connection for `idle`. A slowloris client — a header byte every few seconds, a body that
/// never ends — is closed at its request deadline, so it cannot hold connections that
/// Telegram's deliveries need; the time the server itself takes to answer (the broker's ACK)
/// is not counted.
package struct WebhookDeadlines: Sendable, Equatable {
    package struct Limits: Sendable, Equatable {
        /// From a request's first byte to its last (`--request-timeout`, 10 s).
        package var request: Duration = .seconds(10)
        /// With no request under way (`--idle-timeout`, 60 s).
        package var idle: Duration = .seconds(60)

        package init() {}
    }

    enum Phase: Sendable, Equatable {
        /// Between requests, since then.
        case idle(since: ContinuousClock.Instant)
        /// A request's bytes are arriving, the first at that time.
        case receiving(since: ContinuousClock.Instant)
        /// The request is in; the server is answering (no deadline of the client's).
        case answering
    }

    package let limits: Limits
    private(set) var phase: Phase

    package init(limits: Limits, openedAt now: ContinuousClock.Instant) {
        self.limits = limits
        phase = .idle(since: now)
    }

    /// Bytes arrived: the first of a request starts its clock.
    package mutating func received(now: ContinuousClock.Instant) {
        if case .idle = phase { phase = .receiving(since: now) }
    }

    /// The request is whole (its end parsed).
    package mutating func requestComplete() {
        phase = .answering
    }

    /// The answer's end is written: idle again.
    package mutating func responded(now: ContinuousClock.Instant) {
        phase = .idle(since: now)
    }

    /// When the connection must be closed if nothing changes; nil while answering.
    package var deadline: ContinuousClock.Instant? {
        switch phase {
        case .idle(let since): return since + limits.idle
        case .receiving(let since): return since + limits.request
        case .answering: return nil
        }
    }

    /// Whether to close the connection at `now`.
    package func expired(now: ContinuousClock.Instant) -> Bool {
        deadline.map { now >= $0 } ?? false
    }
}
