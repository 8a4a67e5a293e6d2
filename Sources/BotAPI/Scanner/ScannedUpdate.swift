/// What the scanner learned of one update without decoding it.
public struct ScannedUpdate: Sendable, Equatable {
    public var updateID: Int64
    public var kind: UpdateKind
    /// The chat (or, without a chat, the user) whose updates must stay in order; nil for
    /// updates that belong to no one (`poll`).
    public var routingKey: RoutingKey?
    /// The update's bytes within the scanned input.
    public var range: Range<Int>
    /// Where the text lies, from the update's first byte (not the scanned input's).
    public var textPosition: TextPosition

    public init(updateID: Int64, kind: UpdateKind, routingKey: RoutingKey?, range: Range<Int>, textPosition: TextPosition = .unknown) {
        self.updateID = updateID
        self.kind = kind
        self.routingKey = routingKey
        self.range = range
        self.textPosition = textPosition
    }
}
