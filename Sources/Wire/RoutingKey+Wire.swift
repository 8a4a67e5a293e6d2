import BotAPI

/// The one coding of a routing key, used by the frames, the journal and the sequencer's
/// outbox rows: a kind (0 none, 1 chat, 2 user) and the id (0 when none).
extension Optional where Wrapped == RoutingKey {
    package var wireParts: (kind: UInt8, id: Int64) {
        switch self {
        case .chat(let id)?: return (1, id)
        case .user(let id)?: return (2, id)
        case nil: return (0, 0)
        }
    }

    package init(wireKind kind: UInt8, id: Int64) throws(FrameError) {
        switch kind {
        case 0: self = nil
        case 1: self = .chat(id)
        case 2: self = .user(id)
        default: throw FrameError("unknown routing key kind \(kind)")
        }
    }
}

extension ByteWriter {
    package mutating func routingKey(_ key: RoutingKey?) {
        let (kind, id) = key.wireParts
        u8(kind)
        i64(id)
    }
}

extension ByteReader {
    package mutating func routingKey() throws(FrameError) -> RoutingKey? {
        let kind = try u8()
        return try RoutingKey?(wireKind: kind, id: try i64())
    }
}
