import BotAPI
import Foundation
import Logging

/// What a handler gets: the update (raw, with a typed decode on demand), the Bot API client,
/// a logger carrying the update id, and `runAsync` for jobs in the pool.
public struct Context: Sendable {
    /// The update as Telegram sent it; reading a field costs a walk over the bytes.
    public let raw: RawUpdate
    public let client: BotClient
    /// Labelled with the role; metadata has `update_id`.
    public let logger: Logger
    /// How many times this update has been delivered (more than 1 after a worker died).
    public let attempt: Int
    let jobs: JobRunner

    public var updateID: Int64 { raw.updateID }
    public var chatID: Int64? { raw.chatID }
    /// The message text, for message updates.
    public var text: String? { raw.text }

    /// The whole update, decoded (tens of microseconds: do it once, keep the value).
    public func update() throws -> Update { try raw.decode() }

    /// The words after a command (`/transaction 10 42` → `["10", "42"]`).
    public var arguments: [String] {
        guard let text, text.hasPrefix("/") else { return [] }
        return text.split(separator: " ").dropFirst().map(String.init)
    }

    /// Sends `text` to the chat the update came from. The sent message is decoded only if its
    /// `message()` is asked for: most handlers never look at it, and a full decode costs more
    /// than the rest of an echo.
    @discardableResult
    public func reply(_ text: String, replyMarkup: ReplyMarkup? = nil) async throws -> SentMessage {
        guard let chat = chatID ?? raw.routingKey?.id else { throw ContextError(message: "this update has no chat to reply to") }
        if let replyMarkup {
            let response = try await client.send(BotMethods.SendMessage(chatID: .id(chat), text: text, replyMarkup: replyMarkup))
            return SentMessage(response: response.body)
        }
        let body = #"{"chat_id":\#(chat),"text":\#(JSONFields.quoted(text))}"#
        return SentMessage(response: try await client.send(methodName: "sendMessage", json: Data(body.utf8)).body)
    }

    /// Runs the bot's job `name` in the worker pool; await the promise's value when needed.
    /// While a handler waits on it, its slot is lent to the pool, so nested jobs of any depth
    /// cannot deadlock a bounded pool.
    public func runAsync<Input: Encodable>(_ name: String, _ input: Input) throws -> JobPromise {
        try jobs.submit(name, input: JSONEncoder().encode(input))
    }
}

/// The answer to a send: the `Message` Telegram returned, decoded on demand.
public struct SentMessage: Sendable {
    /// The raw `{"ok":true,"result":{...}}` body.
    public let response: Data

    public func message() throws -> Message {
        struct Envelope: Decodable { var result: Message }
        return try JSONDecoder().decode(Envelope.self, from: response).result
    }
}

/// The context of a named job: like a handler's, without an update.
public struct JobContext: Sendable {
    public let client: BotClient
    public let logger: Logger
    let jobs: JobRunner

    public func runAsync<Input: Encodable>(_ name: String, _ input: Input) throws -> JobPromise {
        try jobs.submit(name, input: JSONEncoder().encode(input))
    }
}

public struct ContextError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
