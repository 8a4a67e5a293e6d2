import Foundation

/// How one fuzz input carries several pieces (a multipart ZeroMQ message, a request's head and
/// body): each piece is a big-endian u16 length and that many bytes; the last piece may be
/// short (it takes what is left), so every byte string is a valid input.
package enum FuzzInput {
    package static func pieces(_ data: Data) -> [Data] {
        let bytes = [UInt8](data)
        var out: [Data] = []
        var i = 0
        while i < bytes.count {
            guard i + 2 <= bytes.count else {
                out.append(Data(bytes[i...]))
                break
            }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            let start = i + 2
            let end = min(start + length, bytes.count)
            out.append(Data(bytes[start..<end]))
            i = end
        }
        return out
    }

    /// The input that `pieces` splits into `parts` (for seeds).
    package static func joined(_ parts: [Data]) -> Data {
        var out = Data()
        for part in parts {
            let length = min(part.count, Int(UInt16.max))
            out.append(UInt8(length >> 8))
            out.append(UInt8(length & 0xFF))
            out.append(part.prefix(length))
        }
        return out
    }

    /// Lines of text (for request heads): `\n` separated, `\r` dropped.
    package static func lines(_ data: Data) -> [String] {
        String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
    }
}
