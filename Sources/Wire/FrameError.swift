/// A frame that does not parse: logged and dropped by the receiver, never fatal.
public struct FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "bad frame: \(reason)" }
}
