import CISAL
import Foundation

/// CRC-32 (IEEE 802.3, reflected, as zlib and gzip) over every journal record, written and read.
///
/// Computed by Intel's ISA-L (`crc32_gzip_refl`, Debian's `libisal2`), which picks at run time
/// the CPU's carry-less multiply (PCLMULQDQ) and folds 64 bytes a step. The broker checksums
/// every update it accepts, on the path to the batch's fsync and ACK: the hand-written
/// slicing-by-8 this replaces (eight table lookups per eight bytes) was ~1,300 instructions an
/// update, the library ~200 (`scripts/bench instructions`). The same polynomial as before, so
/// segments written by either read back with either. (CRC-32C, which SSE4.2 computes with one
/// instruction, would have changed the journal's format for no further gain at these sizes.)
enum CRC32 {
    /// Over the bytes in place: a generic walk through `Data`'s iterator cost a call per byte.
    static func checksum<C: Collection<UInt8>>(_ bytes: C) -> UInt32 {
        if let c = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) { return c }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    static func checksum(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { checksum($0) }
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        return crc32_gzip_refl(0, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }
}
