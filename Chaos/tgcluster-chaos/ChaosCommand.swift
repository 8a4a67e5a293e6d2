// The chaos soak (issue 17, `scripts/chaos`): three example bots under load against emulators
// with faults and flood limits, their roles killed on a seeded schedule; exits 1 on any
// violation of the guarantees (README "Chaos").
import ArgumentParser
import Chaos
import Foundation

@main
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tgcluster-chaos",
        abstract: "Soak the bank, timer and echo bots under faults and kills; report what was lost, repeated or reordered.")

    @Option(help: "Minutes to run (the kills and the load; settling and the audit come after).")
    var minutes: Double = 10

    @Option(help: "Seconds to run instead of --minutes.")
    var seconds: Double?

    @Option(help: "Seed of the kill schedule and of the load.")
    var seed: UInt64 = 1

    @Option(help: "Workers per cluster.")
    var workers = 2

    @Option(help: "Multiplies the load (echo 10/s, bank 2/s, timers 1/s).")
    var load = 1.0

    @Option(help: "Directory of the bots' executables (default: beside this one).")
    var binDir: String?

    @Option(help: "Data and logs (kept after a run with violations; default: a new temporary directory).")
    var workDir: String?

    @Option(help: "Write the report as JSON here too.")
    var report: String?

    func run() async throws {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let work = workDir.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("tgc-chaos-\(UUID().uuidString.prefix(8))")
        var options = ChaosRun.Options(binDir: binDir.map { URL(fileURLWithPath: $0) } ?? here, workDir: work)
        options.seconds = seconds ?? minutes * 60
        options.seed = seed
        options.workers = workers
        options.load = load
        // Progress lines as they happen, also into a file or a pipe (print buffers there).
        options.log = { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) }
        let result = try await ChaosRun(options: options).run()
        FileHandle.standardOutput.write(Data((result.text + "\n").utf8))
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: report))
        }
        if !result.violations.isEmpty {
            FileHandle.standardOutput.write(Data("chaos: data and logs kept in \(work.path)\n".utf8))
            throw ExitCode(1)
        }
    }
}
