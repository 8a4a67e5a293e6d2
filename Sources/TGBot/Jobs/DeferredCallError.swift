import BotAPI
import Foundation

/// The error the error handler sees when a Bot API call a serial handler made failed after the
/// handler's transaction had committed.
///
/// A serial handler's calls go through the outbox: they are sent once the update commits, by a
/// worker, when the handler has long returned — so the error handler gets no `Context` for
/// them. This says which call it was, which update's handler made it, to which chat, and why it
/// failed, so that the handler can still act (forget a chat that blocked the bot, tell an
/// admin):
///
/// ```swift
/// bot.onError { error, ctx in
///     if let failed = error as? DeferredCallError, failed.apiError?.errorCode == 403, let chat = failed.chatID {
///         print("chat \(chat) blocked the bot; \(failed.method) not delivered")
///     }
/// }
/// ```
public struct DeferredCallError: Error, CustomStringConvertible, Sendable {
    /// The Bot API method, as the spec spells it (`sendMessage`).
    public var method: String
    /// The call's parameters as sent (a JSON object).
    public var parameters: Data
    /// The call's `chat_id` when it is a number; nil for `@channelusername` or no chat.
    public var chatID: Int64?
    /// The update whose serial handler made the call (the `update_id` of its log lines); nil
    /// for a call made outside an update (an `atStart` hook).
    public var updateID: Int64?
    /// Why it failed: a `BotAPIError` for Telegram's refusals and transport failures.
    public var underlying: any Error

    /// `underlying` as the Bot API client's error (`errorCode`, `description`, `retryAfter`).
    public var apiError: BotAPIError? { underlying as? BotAPIError }

    public init(method: String, parameters: Data, updateID: Int64? = nil, underlying: any Error) {
        self.method = method
        self.parameters = parameters
        self.updateID = updateID
        self.underlying = underlying
        chatID = (try? JSONDecoder().decode(ChatOfCall.self, from: parameters))?.chatID
    }

    public var description: String {
        "deferred \(method)\(chatID.map { " to chat \($0)" } ?? "")\(updateID.map { " (update \($0))" } ?? "") failed: \(underlying)"
    }

    /// The one parameter read back: `chat_id`, a number or a string (a channel's username).
    private struct ChatOfCall: Decodable {
        var chatID: Int64?

        enum CodingKeys: String, CodingKey { case chatID = "chat_id" }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            chatID = (try? c.decodeIfPresent(Int64.self, forKey: .chatID)) ?? nil
        }
    }
}
