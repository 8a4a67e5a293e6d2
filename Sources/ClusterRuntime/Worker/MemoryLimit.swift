import Foundation

/// `--max-worker-memory`, as a pure rule: a worker past the limit is recycled after what it
/// runs has finished (DISCONNECT, drain, exit `RoleError.recycled`; its supervisor starts a
/// fresh one at once, not counted as a crash); past twice the limit it exits at once, so that a
/// job that alone takes that much is requeued like a crash and dead-lettered after its attempts
/// instead of taking the host down.
package struct MemoryLimit: Sendable, Equatable {
    package enum Verdict: Sendable, Equatable {
        case fine
        case recycle
        case exitNow
    }

    package var bytes: Int

    package init(bytes: Int) { self.bytes = bytes }

    package func verdict(resident: Int) -> Verdict {
        if resident > 2 * bytes { return .exitNow }
        return resident > bytes ? .recycle : .fine
    }

    /// This process's resident set, in bytes (`/proc/self/statm`).
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
