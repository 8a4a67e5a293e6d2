import Foundation

/// A process's CPU by thread name (`/proc/<pid>/task/<tid>/stat`), in clock ticks.
///
/// A role's CPU per update says how much, not which of its threads spent it: the broker's is
/// its bus thread (the state machine, the journal's write), ZeroMQ's I/O thread (every message
/// in and out crosses it) and the fsync thread, and a third of it is the kernel's, mostly those
/// threads waking one another (notebook, "Read where it lies"). Threads of one name (a pool's)
/// are summed; a thread that ended between two readings is not counted.
enum ThreadCPU {
    static func ticksByName(_ pid: pid_t) -> [String: Int] {
        let dir = "/proc/\(pid)/task"
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [:] }
        var out: [String: Int] = [:]
        for tid in tids {
            guard let stat = try? String(contentsOfFile: "\(dir)/\(tid)/stat", encoding: .utf8), let t = parse(stat) else { continue }
            out[t.name, default: 0] += t.user + t.system
        }
        return out
    }

    /// A `stat` line of a process or a thread: its name (`comm`, between the first `(` and the
    /// last `)`: a name may hold either) and its utime and stime (fields 14 and 15), in ticks.
    static func parse(_ stat: String) -> (name: String, user: Int, system: Int)? {
        guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"), open < close else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13 else { return nil }
        return (String(stat[stat.index(after: open)..<close]), Int(fields[11]) ?? 0, Int(fields[12]) ?? 0)
    }

    /// `after - before` by name, as µs per update; names under 0.25 µs summed as "others".
    static func perUpdate(before: [String: Int], after: [String: Int], updates: Int, ticksPerSecond: Double) -> [String: Double] {
        var out: [String: Double] = [:]
        for (name, ticks) in after {
            let micros = Double(ticks - (before[name] ?? 0)) / ticksPerSecond * 1e6 / Double(max(updates, 1))
            if micros >= 0.25 { out[name, default: 0] += micros } else if micros > 0 { out["others", default: 0] += micros }
        }
        return out
    }

    /// "tgc.bus 8.5, ZMQbg/IO/0 3.0, …", largest first.
    static func line(_ byName: [String: Double]) -> String {
        byName.sorted { $0.value > $1.value }.map { "\($0.key) \(String(format: "%.1f", $0.value))" }.joined(separator: ", ")
    }
}
