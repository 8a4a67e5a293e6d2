/// A keyboard Telegram would refuse, said before it is sent.
public struct KeyboardError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
