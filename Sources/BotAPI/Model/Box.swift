/// Heap storage for a field whose type contains the type that holds it
/// (`Message.replyToMessage`), which a Swift struct cannot store inline.
///
/// Immutable: a setter on the generated property replaces the box, so value semantics hold.
public final class Box<Value: Sendable & Equatable>: Sendable, Equatable {
    public let value: Value

    public init(_ value: Value) { self.value = value }

    public static func == (lhs: Box, rhs: Box) -> Bool { lhs.value == rhs.value }
}
