/// One Bot API method: its parameters are the conforming struct's properties, `Result` what
/// `result` decodes to. The generated `BotMethods.*` types conform; a user can add a method the
/// spec does not have yet by conforming a struct of their own.
public protocol BotMethod: Encodable, Sendable {
    associatedtype Result: Decodable & Sendable
    /// The method name as Telegram spells it (`sendMessage`).
    static var name: String { get }
    /// Seconds the server may hold this call open (`getUpdates`' `timeout`); nil for others.
    /// The client sets the transfer's deadline from it.
    var longPollSeconds: Int? { get }
}

/// Namespace of the generated method parameter types, one per Bot API method.
public enum BotMethods {}
