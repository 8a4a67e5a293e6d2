import Atomics
import Foundation

/// A run of 64-bit words in memory shared by the processes that map the same file (or, with no
/// file, this process's own): the storage of the rate tables, updated by compare-and-swap.
final class MappedWords: @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let size: Int
    /// False for this process's own words (allocated, not mapped).
    private let mapped: Bool

    /// Maps `count` words of the file at `path`, creating it (private to the bot's user) or
    /// resizing one of another layout; its zeros are empty buckets.
    init(path: String, count: Int) throws {
        size = count * 8
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FloodGateError(operation: "open \(path)", code: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FloodGateError(operation: "fstat", code: errno) }
        if Int(info.st_size) != size, ftruncate(fd, off_t(size)) != 0 {
            throw FloodGateError(operation: "ftruncate", code: errno)
        }
        guard let map = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), map != MAP_FAILED else {
            throw FloodGateError(operation: "mmap", code: errno)
        }
        base = map
        mapped = true
    }

    /// `count` zeroed words of this process alone.
    init(count: Int) {
        size = count * 8
        base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        base.initializeMemory(as: Int64.self, repeating: 0, count: count)
        mapped = false
    }

    deinit {
        if mapped { munmap(base, size) } else { base.deallocate() }
    }

    /// Word `index`, as an atomic.
    func atomic(_ index: Int) -> UnsafeAtomic<Int64> {
        UnsafeAtomic(at: (base + index * 8).assumingMemoryBound(to: Int64.AtomicRepresentation.self))
    }
}
