@testable import ClusterRuntime
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
