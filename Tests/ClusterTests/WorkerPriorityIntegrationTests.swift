import ArgumentParser
import Foundation
import Testing
@testable import ClusterRuntime
import TGClusterTesting

/// `--worker-nice` (issue 13): the workers run below the poll cycle's roles. Every thread of
/// every worker carries the value (Linux sets it per thread: a worker that set only its main
/// thread would leave the threads doing the work at 0), and ingest and the broker keep 0.
@Suite("Worker priority (processes)", .serialized)
struct WorkerPriorityIntegrationTests {
    @Test func outOfRange_isRefusedAtParsing() {
        #expect(throws: (any Error).self) { try RunCommand.parse(["--worker-nice", "20"]) }
        #expect(throws: (any Error).self) { try WorkerCommand.parse(["--nice", "-1"]) }
        #expect(throws: Never.self) { try RunCommand.parse(["--worker-nice", "19"]) }
    }

    @Test func everyWorkerThread_runsAtTheNiceValue_andThePollCycleDoesNot() async throws {
        try await withCluster(bot: testBot, workers: 2, extra: ["--worker-nice", "7"]) { cluster in
            // Answered: each worker's threads (pool, libcurl, bus) have started.
            try await cluster.sim.generate(40, chats: 8)
            try await waitUntil("every update answered", timeout: .seconds(30)) {
                try await cluster.replies().values.reduce(0) { $0 + $1.count } >= 40
            }
            let workers = cluster.children().filter { $0.role == "worker" }.map(\.pid)
            #expect(workers.count == 2)
            // Swift's pool threads are libdispatch's, which sets them to 0 (as root): held
            // within a second or two.
            try await waitUntil("every worker thread at 7", timeout: .seconds(10)) {
                workers.allSatisfy { pid in Self.niceValues(pid).allSatisfy { $0 == 7 } }
            }
            for pid in workers { #expect(Self.niceValues(pid).count >= 3, "worker \(pid): threads") }
            for role in ["broker", "ingest"] {
                let pid = try #require(cluster.child(role))
                let values = Self.niceValues(pid)
                // (libdispatch runs one of its own threads at -4 as root.)
                #expect(!values.isEmpty && values.allSatisfy { $0 <= 0 }, "\(role): \(values)")
            }
            #expect(try await cluster.stop() == 0)
        }
    }

    /// The nice value of each thread of `pid`.
    static func niceValues(_ pid: pid_t) -> [Int32] {
        ProcessThreads.ids(of: pid).compactMap { id_t($0) }.compactMap { WorkerPriority.nice(of: $0) }
    }
}
