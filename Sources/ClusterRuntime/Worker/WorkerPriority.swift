import Foundation
import Locking

/// `--worker-nice`: a worker's CPU priority below the roles on the poll cycle.
///
/// Telegram allows one getUpdates in flight, so at a real distance to the Bot API the cluster's
/// ceiling is the poll cycle: the answer, ingest's scan, the broker's journal and fsync, the
/// ACK, the next request. When a batch's replies come back in the same instant as the next
/// batch (they do: both waited one round trip), the workers take both cores and that cycle
/// waits for a core at each of its thread hops. A nice value on the workers lets ingest and
/// the broker run first; the workers still get every cycle nobody else wants. (SCHED_BATCH,
/// which keeps the weight and gives up only wake-up preemption, measured no difference.)
///
/// Linux applies a nice value per thread: every thread the process has gets it, and threads
/// started later inherit it from the thread that starts them — except Swift's pool: its
/// threads come from libdispatch, which sets each new one's nice value from its QoS (0 for the
/// default), and a process allowed to raise priority (root) ends up with pool threads at 0,
/// the very threads that run the handlers. So the value is applied at start and then held:
/// once a second, a thread found at another value is set back (a directory read and a few
/// syscalls a second; after start-up the pool rarely makes new threads).
enum WorkerPriority {
    static let range: ClosedRange<Int32> = 0...19

    /// Lowers every thread of this process to `nice` now and keeps new ones there; throws with
    /// the reason when the kernel refuses (it never refuses a lower priority to the process's
    /// own user).
    static func hold(_ nice: Int32) throws {
        precondition(range.contains(nice))
        guard nice > 0 else { return }
        if let failure = apply(nice) { throw ConfigurationError("--nice \(nice): setpriority: \(failure)") }
        let thread = Thread.named("tgc.nice") {
            while true {
                Thread.sleep(forTimeInterval: 1)
                _ = apply(nice)
            }
        }
        thread.start()
    }

    /// Sets every thread not at `nice` to it; the first error's text, or nil.
    private static func apply(_ nice: Int32) -> String? {
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        var failure: String?
        for task in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? ["\(getpid())"] {
            guard let tid = id_t(task), Self.nice(of: tid) != nice else { continue }
            if setpriority(which, tid, nice) != 0, errno != ESRCH, failure == nil {
                failure = String(cString: strerror(errno))
            }
        }
        return failure
    }

    /// A thread's nice value (a thread id names one thread system-wide, whatever its process);
    /// nil when it cannot be read.
    static func nice(of tid: id_t) -> Int32? {
        errno = 0
        let value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid)
        return errno == 0 ? value : nil
    }
}
