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

/// `tgcluster status`: what a running cluster is doing; `--watch` keeps it on screen.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status",
        abstract: "Show a running cluster's processes, queues, throughput, handler latency and Bot API figures.")

    @Option(name: .customLong("data-dir"), help: "The cluster's data dir (default: $TGCLUSTER_DATA_DIR or ./.tgcluster).")
    var dataDir: String?
    @Flag(help: "Print the raw JSON.") var json = false
    @Flag(help: "Refresh the view until interrupted (Ctrl-C), like top.") var watch = false
    @Option(help: "The refresh interval of --watch, e.g. 1s.") var interval = "1s"
    @Option(help: "With --watch: stop after this many refreshes (default: never).") var count: Int?

    func run() async throws {
        let dir = dataDir ?? ProcessInfo.processInfo.environment["TGCLUSTER_DATA_DIR"] ?? "./.tgcluster"
        let client = ControlClient(dataDir: dir)
        if watch {
            try await watch(client, dir: dir, every: try DurationText.parse(interval, flag: "interval"))
            return
        }
        do {
            let status = try await client.status()
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

    /// Redraws the report every `interval`; a cluster that does not answer is said so, and
    /// asked again.
    private func watch(_ client: ControlClient, dir: String, every interval: Duration) async throws {
        var previous: (status: ControlAnswer, at: Double)?
        var refreshes = 0
        while count.map({ refreshes < $0 }) ?? true {
            refreshes += 1
            let now = Date().timeIntervalSince1970
            let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .current, formatOptions: [.withFullTime, .withColonSeparatorInTime])
            var screen = "\u{1B}[H\u{1B}[2J" + "tgcluster status \(dir) at \(stamp), every \(interval.formatted()), Ctrl-C to quit\n\n"
            do {
                let status = try await client.status()
                screen += StatusReport.render(status, now: now, previous: previous) + "\n"
                previous = (status, now)
            } catch {
                screen += "no cluster answers: \(error)\n"
            }
            FileHandle.standardOutput.write(Data(screen.utf8))
            try await Task.sleep(for: interval)
        }
    }
}
