import Foundation

package extension Data {
    /// Appends one byte through its raw bytes: `append(UInt8)` on a `Data` whose bytes are
    /// allocated allocates twice per call (Swift 6.3's Foundation; counted with
    /// `scripts/bench allocs`), and the hot paths write single bytes per field and per update.
    mutating func append(byte: UInt8) {
        Swift.withUnsafeBytes(of: byte) { append(contentsOf: $0) }
    }

    /// Appends a string's UTF-8 bytes through its contiguous storage. `append(contentsOf:
    /// string.utf8)` takes `Data`'s generic path for any sequence, which asks at run time whether
    /// the sequence is contiguous: a dynamic cast and a protocol conformance lookup per call,
    /// some 4,000 instructions per call in a worker (`scripts/bench instructions`).
    mutating func append(utf8 string: String) {
        var string = string
        string.withUTF8 { append(contentsOf: UnsafeRawBufferPointer($0)) }
    }
}
