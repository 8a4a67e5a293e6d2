/// A request to the supervisor's control endpoint (`ipc://<data-dir>/control.sock`), one JSON
/// frame: from `tgcluster status|scale`, and from the broker when it declared a peer lost.
package struct ControlRequest: Codable, Sendable, Equatable {
    package enum Command: String, Codable, Sendable {
        case status, scale, stop
        /// The broker declared a peer lost: the supervisor kills it if it is its child and runs.
        case peerLost = "peer-lost"
    }

    package var command: Command
    /// For `scale`: the number of workers wanted.
    package var workers: Int?
    /// For `peer-lost`: the peer's pid and role, and why it was declared lost.
    package var pid: Int?
    package var role: String?
    package var reason: String?

    package init(command: Command, workers: Int? = nil, pid: Int? = nil, role: String? = nil, reason: String? = nil) {
        self.command = command
        self.workers = workers
        self.pid = pid
        self.role = role
        self.reason = reason
    }
}
