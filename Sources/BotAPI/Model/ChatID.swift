/// The target of a call: a chat's numeric id or a public `@username` (the spec's
/// "Integer or String").
public enum ChatID: Codable, Sendable, Equatable, Hashable, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    case id(Int64)
    case username(String)

    public init(integerLiteral value: Int64) { self = .id(value) }
    public init(stringLiteral value: String) { self = .username(value) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let id = try? c.decode(Int64.self) {
            self = .id(id)
        } else {
            let s = try c.decode(String.self)
            // Form and query bodies carry numbers as text: "-1001234" is an id, not a name.
            self = Int64(s).map(ChatID.id) ?? .username(s)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .id(let id): try c.encode(id)
        case .username(let name): try c.encode(name)
        }
    }
}
