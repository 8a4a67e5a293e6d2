import Foundation

package extension Data {
    /// Appends one byte through its raw bytes: `append(UInt8)` on a `Data` whose bytes are
    /// allocated allocates twice per call (Swift 6.3's Foundation; counted with
    /// `scripts/bench allocs`), and the hot paths write single bytes per field and per update.
    mutating func append(byte: UInt8) {
        Swift.withUnsafeBytes(of: byte) { append(contentsOf: $0) }
    }
}
