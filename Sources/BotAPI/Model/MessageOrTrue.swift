/// The result of edit methods: the edited `Message`, or `true` when the message was an inline
/// one (the spec's "Message or Boolean").
public enum MessageOrTrue: Codable, Sendable, Equatable {
    case message(Message)
    case `true`

    public var message: Message? {
        if case .message(let m) = self { return m }
        return nil
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            guard b else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a Message or true, got false")
            }
            self = .true
        } else {
            self = .message(try c.decode(Message.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .message(let m): try m.encode(to: encoder)
        case .true:
            var c = encoder.singleValueContainer()
            try c.encode(true)
        }
    }
}
