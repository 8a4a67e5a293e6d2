import BotAPI
import Foundation

/// An update as it travels between processes: the scanner's findings and the raw bytes, so no
/// process but the one running a handler decodes it.
///
/// Wire: `update_id` i64 | key kind u8 (0 none, 1 chat, 2 user) | key i64 | kind (u8 length +
/// UTF-8) | the update's JSON bytes.
public struct UpdateEnvelope: Sendable, Equatable {
    public let updateID: Int64
    public let kind: UpdateKind
    public let routingKey: RoutingKey?
    public let bytes: Data
    /// The wire form this envelope was read from, if it was: a broker passes an update on (JOB,
    /// the journal) as it came, instead of writing the same bytes again per hop.
    private let wire: Data?

    public init(updateID: Int64, kind: UpdateKind, routingKey: RoutingKey?, bytes: Data) {
        self.updateID = updateID
        self.kind = kind
        self.routingKey = routingKey
        self.bytes = bytes
        wire = nil
    }

    public init(_ scanned: ScannedUpdate, in response: Data) {
        self.init(updateID: scanned.updateID, kind: scanned.kind, routingKey: scanned.routingKey,
                  bytes: response.subdata(in: scanned.range))
    }

    public var raw: RawUpdate {
        RawUpdate(bytes: bytes, scanned: ScannedUpdate(updateID: updateID, kind: kind, routingKey: routingKey, range: 0..<bytes.count))
    }

    package func encode(into w: inout ByteWriter) {
        if let wire {
            w.bytes(wire)
            return
        }
        w.i64(updateID)
        w.routingKey(routingKey)
        w.shortString(kind.rawValue)
        w.bytes(bytes)
    }

    public var encoded: Data {
        if let wire { return wire }
        var w = ByteWriter(capacity: 8 + 9 + 1 + kind.rawValue.utf8.count + bytes.count)
        encode(into: &w)
        return w.data
    }

    public init(decoding data: Data) throws(FrameError) {
        var r = ByteReader(data)
        updateID = try r.i64()
        routingKey = try r.routingKey()
        kind = UpdateKind(rawValue: try r.shortString())
        bytes = Data(r.remaining)
        wire = data
    }

    /// The update's fields; where it was read from does not count.
    public static func == (a: UpdateEnvelope, b: UpdateEnvelope) -> Bool {
        a.updateID == b.updateID && a.kind == b.kind && a.routingKey == b.routingKey && a.bytes == b.bytes
    }
}
