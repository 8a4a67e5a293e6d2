import CTSanShims
import Synchronization

extension Mutex where Value: ~Copyable {
    /// `withLock`, visible to ThreadSanitizer. The standard library's `Mutex` locks with a futex
    /// in code TSan does not instrument, so TSan sees no order between two threads' critical
    /// sections and reports every one as a race (a ten-line program with two threads shows it);
    /// this marks the section's start as an acquire and its end as a release of the mutex's
    /// address. Outside a `--sanitize=thread` build the marks are a null check each.
    @inlinable
    public borrowing func locked<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // The mutex's own address (not the value's: taking that is an access TSan checks
        // before the acquire could order it).
        let key = withUnsafePointer(to: self) { UnsafeMutableRawPointer(mutating: $0) }
        return try withLock { (value: inout sending Value) throws(E) -> sending Result in
            CTSanShims_acquire(key)
            defer { CTSanShims_release(key) }
            return try body(&value)
        }
    }
}
