import Foundation
import TGClusterTesting

/// What the suites set up the same way: their options, a run's data directory, and an emulator
/// for long runs.
enum BenchSetup {
    /// The value of `--name=VALUE` among `arguments`, if given.
    static func value(_ name: String, in arguments: [String]) -> String? {
        arguments.first { $0.hasPrefix("--\(name)=") }.map { String($0.dropFirst(name.count + 3)) }
    }

    /// `--name=N` among `arguments` as a number, or `fallback` when absent or not a number.
    static func option(_ name: String, in arguments: [String], _ fallback: Int) -> Int {
        value(name, in: arguments).flatMap { Int($0) } ?? fallback
    }

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
