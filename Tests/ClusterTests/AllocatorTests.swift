@testable import ClusterRuntime
import Synchronization
import Foundation
import TGClusterTesting
import Testing

@Suite("Allocator")
struct AllocatorTests {
    /// mimalloc serves `malloc` (the link puts it ahead of the C library), except where a
    /// sanitizer's runtime, linked into the executable itself, owns the heap. A build where the
    /// C library's allocator won again would lose what it measured without a word.
    @Test func mallocIsMimalloc_unlessASanitizerOwnsTheHeap() {
        if TestBounds.sanitizer == nil {
            #expect(Allocator.inUse == .mimalloc)
            #expect(Allocator.description.hasPrefix("mimalloc 2."))
        } else {
            #expect(Allocator.inUse == .system)
        }
    }

    /// A block mimalloc did not allocate (a thread's stack, here a local) is not in its heap:
    /// `inUse` would say mimalloc of any pointer otherwise.
    @Test func aBlockOutsideTheHeap_isNotMimallocs() {
        var local = 0
        withUnsafeMutablePointer(to: &local) { #expect(!Allocator.isInHeap($0)) }
    }
}

/// Resident-size measurements: they read the whole process's size, so they run in a test
/// process of their own, one after the other (`scripts/test` runs this suite alone, with
/// `TGCLUSTER_TEST_ALONE=1`). In the parallel run of every suite, other tests' allocations and
/// mimalloc's shared segment cache moved the figure: a quiet thread's burst once "dropped" by
/// 0.0 MB there.
@Suite("Allocator, alone", .serialized,
       .enabled(if: Allocator.inUse == .mimalloc, "under a sanitizer the heap is not mimalloc's"),
       .enabled(if: ProcessInfo.processInfo.environment["TGCLUSTER_TEST_ALONE"] == "1", "run alone by scripts/test"))
struct AllocatorAloneTests {
    /// A thread that frees a burst's blocks and goes quiet keeps their pages until it allocates
    /// again past the decommit delay; `returnFreedPages` gives them back at once. 64 MB of
    /// 1 KiB blocks on a thread of its own, freed: the resident size drops by 32 MB of it when
    /// the thread calls it (mimalloc keeps the rest of the thread's segments for reuse), and
    /// without the call by nothing (the delay is set to a minute here).
    @Test func aQuietThreadsFreedPages_goBackWhenAsked() {
        #expect(Self.dropAfterBurst(returningPages: true) > 24)
    }

    /// The variant that shows the call is what gives them back.
    @Test func withoutTheCall_theyStay() {
        #expect(Self.dropAfterBurst(returningPages: false) < 8)
    }

    /// The resident size's drop (MB) from a burst's blocks freed on a thread of its own to
    /// after `returnFreedPages` on that thread (or no call).
    static func dropAfterBurst(returningPages: Bool) -> Double {
        let delay = Allocator.decommitDelay
        Allocator.decommitDelay = 60_000
        defer { Allocator.decommitDelay = delay }
        let dropped = Mutex(0.0)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var blocks: [UnsafeMutableRawPointer] = []
            blocks.reserveCapacity(65_536)
            for _ in 0..<65_536 {
                let block = malloc(1_024)!
                memset(block, 1, 1_024)
                blocks.append(block)
            }
            for block in blocks { free(block) }
            let before = AllocatorTests.residentMB()
            if returningPages { Allocator.returnFreedPages() }
            dropped.withLock { $0 = before - AllocatorTests.residentMB() }
            done.signal()
        }
        thread.start()
        done.wait()
        return dropped.withLock { $0 }
    }
}

extension AllocatorTests {
    /// This process's resident size (`/proc/self/statm`), MB.
    static func residentMB() -> Double {
        let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }
}
