import Foundation
import TGClusterTesting

/// What the suites set up the same way: a run's data directory, and an emulator for long runs.
enum BenchSetup {
    /// A new directory `/tmp/tgc-<name>-XXXXXX` for a run's data (the caller removes it).
    static func scratchDirectory(_ name: String = "bench") throws -> String {
        let dir = "/tmp/tgc-\(name)-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// An emulator that keeps little (its transcript, the messages it stores), so that its own
    /// growth over a long run does not slow the cluster down.
    static func quietSim() async throws -> SimHarness {
        try await SimHarness.start {
            $0.transcriptLimit = 1_000
            $0.messageLimit = 10_000
        }
    }
}
