import ArgumentParser
import ClusterRuntime
import Foundation

/// `tgcluster scale --workers N`: changes a running cluster's worker count.
struct ScaleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scale",
        abstract: "Add workers to a running cluster, or drain and stop some, without losing a job.")

    @Option(help: "The number of workers wanted.") var workers: Int
    @Option(name: .customLong("data-dir"), help: "The cluster's data dir (default: $TGCLUSTER_DATA_DIR or ./.tgcluster).")
    var dataDir: String?

    func run() async throws {
        let dir = dataDir ?? ProcessInfo.processInfo.environment["TGCLUSTER_DATA_DIR"] ?? "./.tgcluster"
        do {
            try await ControlClient(dataDir: dir).scale(workers: workers)
            print("workers: \(workers)")
        } catch {
            CLI.fail("\(error)")
        }
    }
}

/// `tgcluster status`: what a running cluster is doing.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status",
        abstract: "Show a running cluster's processes, queues, throughput and handler latency.")

    @Option(name: .customLong("data-dir"), help: "The cluster's data dir (default: $TGCLUSTER_DATA_DIR or ./.tgcluster).")
    var dataDir: String?
    @Flag(help: "Print the raw JSON.") var json = false

    func run() async throws {
        let dir = dataDir ?? ProcessInfo.processInfo.environment["TGCLUSTER_DATA_DIR"] ?? "./.tgcluster"
        do {
            let status = try await ControlClient(dataDir: dir).status()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
            } else {
                print(StatusReport.render(status))
            }
        } catch {
            CLI.fail("\(error)")
        }
    }
}
