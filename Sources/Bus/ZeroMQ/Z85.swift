internal import CZeroMQ
import Foundation

/// ZeroMQ's Z85 text encoding of binary keys (RFC 32), through libzmq.
public enum Z85 {
    /// The text of `bytes` (a multiple of 4 long; a CURVE key is 32 bytes, 40 characters).
    public static func encode(_ bytes: Data) -> String? {
        guard bytes.count % 4 == 0 else { return nil }
        var text = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        let ok = bytes.withUnsafeBytes { raw in
            zmq_z85_encode(&text, raw.bindMemory(to: UInt8.self).baseAddress, raw.count) != nil
        }
        return ok ? String(nulTerminated: text) : nil
    }
}
