import CMimalloc
import Foundation

/// The heap allocator every tgcluster process runs on: mimalloc (Debian's `libmimalloc2.0`),
/// linked into the executable ahead of the C library, so that `malloc` and `free` — the Swift
/// runtime's, libcurl's, libzmq's, SQLite's — are mimalloc's.
///
/// Why (issue 13): a job crosses threads — the bus thread receives it, a pool thread runs the
/// handler, libcurl's thread reads the reply — and glibc's allocator serves a block freed on
/// another thread slowly: its per-thread cache fills on the freeing thread and stays empty on the
/// allocating one, so most allocations went to the arenas' bins (27 of a worker's per update
/// under callgrind), with a lock for the other thread's arena on each free. malloc and free were
/// 17% of a worker's instructions; mimalloc frees into the block's own page, whichever thread
/// frees it. Measured figures are in docs/BENCHMARKS.md ("The allocator").
///
/// A sanitizer's runtime defines `malloc` in the executable itself and wins over both; `inUse`
/// says which one a process got.
package enum Allocator: String, Sendable {
    case mimalloc
    case system

    /// The allocator `malloc` reaches in this process: mimalloc if a fresh block lies in its heap.
    package static let inUse: Allocator = {
        guard let block = malloc(16) else { return .system }
        defer { free(block) }
        return isInHeap(block) ? .mimalloc : .system
    }()

    /// Whether `pointer` lies in memory mimalloc manages.
    package static func isInHeap(_ pointer: UnsafeRawPointer) -> Bool {
        mi_is_in_heap_region(pointer)
    }

    /// Gives the calling thread's freed pages back to the system at once, rather than when the
    /// thread next allocates (mimalloc decommits a free page only on its own thread's later
    /// calls, after `MIMALLOC_DECOMMIT_DELAY`; a thread that goes quiet after a burst keeps its
    /// burst's pages). For the end of a burst: it walks the thread's heap (1–2 ms for
    /// the broker's after a wave of 100,000 updates), so not per message.
    package static func returnFreedPages() {
        if inUse == .mimalloc { mi_collect(true) }
    }

    /// How long mimalloc keeps a freed page before giving it back, in milliseconds
    /// (`MIMALLOC_DECOMMIT_DELAY`, which the supervisor sets for its children); process-wide.
    package static var decommitDelay: Int {
        get { mi_option_get(mi_option_decommit_delay) }
        set { mi_option_set(mi_option_decommit_delay, newValue) }
    }

    /// For logs: `mimalloc 2.0.9`, or the C library's when mimalloc was overridden.
    package static var description: String {
        switch inUse {
        case .mimalloc:
            let v = Int(mi_version())
            return "mimalloc \(v / 100).\(v % 100 / 10).\(v % 10)"
        case .system:
            return "the C library's malloc"
        }
    }
}
