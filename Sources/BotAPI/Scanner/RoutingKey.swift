/// Whose updates must be handled in order: a chat, or a user where the update has no chat
/// (inline queries, payments).
public enum RoutingKey: Sendable, Hashable, CustomStringConvertible {
    case chat(Int64)
    case user(Int64)

    /// The numeric id; a user's id equals the id of the private chat with them, so both
    /// kinds of key partition the same way.
    public var id: Int64 {
        switch self {
        case .chat(let id), .user(let id): return id
        }
    }

    public var description: String {
        switch self {
        case .chat(let id): return "chat:\(id)"
        case .user(let id): return "user:\(id)"
        }
    }
}
