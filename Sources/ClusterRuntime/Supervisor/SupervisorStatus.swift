import Foundation

/// The supervisor's children, written to `<data-dir>/supervisor.json` when they change (or
/// once a second) and shown by `tgcluster status`.
package struct SupervisorStatus: Codable, Sendable, Equatable {
    package struct Child: Codable, Sendable, Equatable {
        package var role: String
        package var pid: Int
        /// Unix seconds.
        package var started: Double
        package var restarts: Int
        /// Told to stop (scaled down); finishing its jobs.
        package var draining: Bool
    }

    package var pid: Int
    package var desiredWorkers: Int
    package var children: [Child]
    package var time: Double

    enum CodingKeys: String, CodingKey {
        case pid, children, time
        case desiredWorkers = "desired_workers"
    }

    package static func read(dataDir: String) -> SupervisorStatus? {
        StatusFile.read(SupervisorStatus.self, from: URL(fileURLWithPath: dataDir).appendingPathComponent("supervisor.json"))
    }
}
