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
        var w = ByteWriter(capacity: bundlePrefix + messages.reduce(0) { $0 + 4 + $1.count })
        beginBundle(in: &w)
        for message in messages { w.blob(message) }
        return w.data
    }

    /// A BUNDLE's bytes before its first part: the header and the command.
    package static let bundlePrefix = 5

    /// Starts a BUNDLE at the end of `w`; each part then follows as a `blob`.
    package static func beginBundle(in w: inout ByteWriter) {
        w.u32(headerWord)
        w.u8(Command.bundle.rawValue)
    }

    /// Whether `message` is a BUNDLE of this version (its first five bytes): a bundle made by
    /// its sender (`PeerBundles`) is never packed into another by the bus.
    public static func isBundle(_ message: Data) -> Bool {
        message.withUnsafeBytes { raw in
            raw.count >= bundlePrefix && UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self)) == headerWord
                && raw[4] == Command.bundle.rawValue
        }
    }

    /// The messages a BUNDLE carries, each a `Data` of its own indexed from zero (a JOB keeps
    /// its message while it runs; a slice would keep the whole bundle); nil when `message` is
    /// not a BUNDLE of this version. Throws for a damaged one: a part cut short, an empty
    /// bundle, a bundle inside a bundle.
    public static func unbundle(_ message: Data) throws(FrameError) -> [Data]? {
        let result: Result<[Data], FrameError>? = message.withUnsafeBytes { raw in
            guard raw.count >= 5, UInt32(bigEndian: raw.loadUnaligned(as: UInt32.self)) == headerWord,
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
