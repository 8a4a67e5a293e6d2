import Foundation

/// A process's threads as Linux shows them (`/proc/<pid>/task`): how the tests see which thread
/// a path wakes, and how the benchmarks count a target's wake-ups per update.
package enum ProcessThreads {
    /// The thread ids of process `pid`; none once it is gone.
    package static func ids(of pid: pid_t) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
    }

    /// Voluntary context switches (a thread went to sleep and was woken) of `pid`'s threads whose
    /// name starts with `thread`, or of all of them. A thread that ended takes its count with it.
    package static func wakeUps(of pid: pid_t, thread: String? = nil) -> Int {
        ids(of: pid).reduce(0) { sum, task in
            let dir = "/proc/\(pid)/task/\(task)"
            if let thread, (try? String(contentsOfFile: dir + "/comm", encoding: .utf8))?.hasPrefix(thread) != true { return sum }
            let status = (try? String(contentsOfFile: dir + "/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
            return sum + (line.flatMap { Int($0.split(separator: "\t").last ?? "") } ?? 0)
        }
    }
}
