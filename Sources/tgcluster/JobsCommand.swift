import ArgumentParser
import ClusterRuntime
import TGBot
import Foundation

/// `tgcluster jobs`: the scheduled jobs of a data dir, soonest first.
struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs",
        abstract: "List a bot's scheduled jobs (the JobQueue in its data dir) with their next run.")

    @Option(name: .customLong("data-dir"), help: "The cluster's data dir (default: $TGCLUSTER_DATA_DIR or ./.tgcluster).")
    var dataDir: String?
    @Flag(help: "Also jobs that will not run again (done or cancelled).") var all = false
    @Flag(help: "Print JSON, one object per job.") var json = false

    func run() throws {
        let dir = dataDir ?? ProcessInfo.processInfo.environment["TGCLUSTER_DATA_DIR"] ?? "./.tgcluster"
        let jobs: [ScheduledJob]
        do {
            jobs = try StoredJobs.list(dataDir: dir, all: all)
        } catch {
            CLI.fail("\(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys]
            for job in jobs { print(String(decoding: try encoder.encode(job), as: UTF8.self)) }
            return
        }
        let now = Date()
        let iso = ISO8601DateFormatter()
        print("id".padding(8) + "name".padding(20) + "callback".padding(14) + "chat".padding(14) + "next run".padding(34) + "runs  trigger")
        for j in jobs {
            let next = j.nextRun.map { "\(iso.string(from: $0)) (\(Self.relative($0.timeIntervalSince(now))))" } ?? "-"
            print("\(j.id)".padding(8) + j.name.padding(20) + j.callback.padding(14) + (j.chatID.map(String.init) ?? "-").padding(14)
                  + (j.paused ? "paused" : next).padding(34) + "\(j.runs)".padding(6) + Self.describe(j.trigger))
        }
        print("\(jobs.count) job\(jobs.count == 1 ? "" : "s")")
    }

    static func relative(_ seconds: Double) -> String {
        let s = abs(seconds)
        let text = s < 120 ? String(format: "%.1fs", s) : s < 7200 ? "\(Int(s / 60))m" : s < 172_800 ? "\(Int(s / 3600))h" : "\(Int(s / 86400))d"
        return seconds >= 0 ? "in \(text)" : "\(text) late"
    }

    static func describe(_ t: Trigger) -> String {
        switch t {
        case .once: return "once"
        case .every(let s, _, _): return "every \(s)s"
        case .daily(let time, let days, let zone):
            return String(format: "daily %02d:%02d:%02d", time.hour, time.minute, time.second) + (days.map { " on \($0.sorted())" } ?? "") + " \(zone)"
        case .monthly(let day, let time, let zone): return String(format: "monthly day %d %02d:%02d", day, time.hour, time.minute) + " \(zone)"
        case .cron(let e, let zone): return "cron \(e) \(zone)"
        }
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
