/// A context used for what its kind of handler cannot do (`ctx.state` in a concurrent
/// handler, a reply to an update without a chat).
public struct ContextError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }

    public init(message: String) { self.message = message }
}
