import Foundation

/// BUNDLE: several messages for one peer in one ZeroMQ message, `header | BUNDLE | (u32 length
/// | message)…`, each message a whole frame with its own header. The bus packs a round's
/// messages for a peer (`Bundling` in `Bus`) and takes a bundle apart before anything decodes
/// it: a BUNDLE never reaches `decode` unless it is damaged, and it never holds another.
///
/// Taken apart with one look at the bytes (not a `ByteReader` call per part): it runs once per
/// message the bundle carries.
extension Frame {
    /// One BUNDLE carrying `messages` (encoded frames), in order.
    public static func bundle(_ messages: [Data]) -> Data {
        var w = ByteWriter(capacity: 5 + messages.reduce(0) { $0 + 4 + $1.count })
        w.bytes(header)
        w.u8(Command.bundle.rawValue)
        for message in messages { w.blob(message) }
        return w.data
    }

    /// The messages a BUNDLE carries, each a `Data` of its own indexed from zero (a JOB keeps
    /// its message while it runs; a slice would keep the whole bundle); nil when `message` is
    /// not a BUNDLE of this version. Throws for a damaged one: a part cut short, an empty
    /// bundle, a bundle inside a bundle.
    public static func unbundle(_ message: Data) throws(FrameError) -> [Data]? {
        let result: Result<[Data], FrameError>? = message.withUnsafeBytes { raw in
            guard raw.count >= 5, UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self)) == magicWord << 8 | UInt32(version),
                  raw[4] == Command.bundle.rawValue else { return nil }
            var parts: [Data] = []
            var at = 5
            while at < raw.count {
                guard raw.count - at >= 4 else { return .failure(FrameError("frame too short")) }
                let length = Int(UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                at += 4
                guard raw.count - at >= length else { return .failure(FrameError("frame too short")) }
                if length >= 5, raw[at + 4] == Command.bundle.rawValue,
                   UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: at, as: UInt32.self)) >> 8 == magicWord {
                    return .failure(FrameError("a BUNDLE inside a BUNDLE"))
                }
                parts.append(Data(bytes: raw.baseAddress! + at, count: length))
                at += length
            }
            return parts.isEmpty ? .failure(FrameError("an empty BUNDLE")) : .success(parts)
        }
        return try result?.get()
    }
}
