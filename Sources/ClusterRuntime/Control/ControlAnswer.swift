/// The supervisor's answer to a `ControlRequest`.
package struct ControlAnswer: Codable, Sendable, Equatable {
    package var ok: Bool
    package var error: String?
    /// For `scale`: the number now wanted.
    package var workers: Int?
    /// For `status`: the processes and the broker's figures (nil when not written yet).
    package var supervisor: SupervisorStatus?
    package var broker: BrokerStatus?

    package init(ok: Bool, error: String? = nil, workers: Int? = nil, supervisor: SupervisorStatus? = nil, broker: BrokerStatus? = nil) {
        self.ok = ok
        self.error = error
        self.workers = workers
        self.supervisor = supervisor
        self.broker = broker
    }
}
