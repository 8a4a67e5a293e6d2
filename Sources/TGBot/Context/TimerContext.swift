import BotAPI
import Foundation
import Logging

/// What a timer callback gets when its scheduled job comes due: the job, the Bot API client,
/// the JobQueue (to schedule or cancel more), and `reply` to the job's chat.
public struct TimerContext: Sendable {
    public let client: BotClient
    public let logger: Logger
    public let scheduleID: Int64
    public let name: String
    public let chatID: Int64?
    public let userID: Int64?
    /// When this run was due (`Date()` minus this is the lateness).
    public let scheduledFor: Date
    /// The same on every delivery of this run (at-least-once): write idempotently under it.
    public let key: String
    package let effects: any HandlerEffects

    package init(client: BotClient, logger: Logger, scheduleID: Int64, name: String, chatID: Int64?, userID: Int64?,
                 scheduledFor: Date, key: String, effects: any HandlerEffects) {
        self.client = client
        self.logger = logger
        self.scheduleID = scheduleID
        self.name = name
        self.chatID = chatID
        self.userID = userID
        self.scheduledFor = scheduledFor
        self.key = key
        self.effects = effects
    }

    public var jobQueue: JobQueue { JobQueue(effects: effects) }

    /// Sends `text` to the job's chat.
    @discardableResult
    public func reply(_ text: String) async throws -> SentMessage {
        guard let chatID else { throw ContextError(message: "job \(name) has no chat to reply to") }
        let body = #"{"chat_id":\#(chatID),"text":\#(JSONFields.quoted(text))}"#
        return SentMessage(response: try await effects.call(method: "sendMessage", json: Data(body.utf8)))
    }
}
