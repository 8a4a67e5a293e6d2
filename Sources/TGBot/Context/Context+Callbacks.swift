import BotAPI
import Foundation

/// Shortcuts for the update a button press brings (a `callback_query`): its data, the answer
/// that stops the button's spinner, and an edit of the message the button sits under. In a
/// serial handler the edit goes through the outbox like any other call (sent after the commit);
/// the answer does not (see `answer`).
extension Context {
    /// The pressed button's `callback_data`; nil for other updates.
    public var callbackData: String? { raw.string(at: "callback_query", "data") }

    /// The pressed button's data as a `T`; nil for other updates and other data.
    public func callbackData<T: CallbackData>(as type: T.Type) -> T? {
        callbackData.flatMap(T.unpack)
    }

    /// Answers the button press (the spinner stops; `text` shows as a toast, or as an alert
    /// with `alert`). Throws for an update that is not a button press.
    ///
    /// In both modes the answer leaves at once: the user watches the spinner, and waiting for a
    /// serial handler's commit (its group's fsync, the outbox round) only makes it turn longer.
    /// So in a serial handler it is not part of the transaction: a handler that answers and then
    /// fails has still answered, and one run again (after a crash or its group's rollback)
    /// answers again, which Telegram refuses ("query is too old"). Nor does a serial handler
    /// wait for Telegram's response (the sequencer would stand still for a round trip per
    /// press): the call is started and the handler goes on; a failed answer is logged instead
    /// of thrown — an answer is a courtesy, Telegram stops the spinner by itself after a
    /// while — where a concurrent one awaits it and throws.
    public func answer(_ text: String? = nil, alert: Bool = false) async throws {
        guard let id = raw.string(at: "callback_query", "id") else {
            throw ContextError(message: "answer() is for a callback query; this update is a \(raw.kind.rawValue)")
        }
        let method = BotMethods.AnswerCallbackQuery(callbackQueryID: id, text: text, showAlert: alert ? true : nil)
        guard isSerial else {
            try await send(method)
            return
        }
        let (client, logger) = (self.client, self.logger)
        effects.sentAtOnce(Task {
            do {
                _ = try await client.send(method)
            } catch {
                logger.warning("a button's answer failed", metadata: ["error": "\(error)"])
            }
        })
    }

    /// Replaces the text (and the keyboard, when given) of the message the pressed button sits
    /// under. Throws for an update that is not a button press on a message.
    @discardableResult
    public func edit(_ text: String, keyboard: InlineKeyboard? = nil) async throws -> SentMessage {
        guard let chat = raw.int64(at: "callback_query", "message", "chat", "id"),
              let message = raw.int64(at: "callback_query", "message", "message_id") else {
            throw ContextError(message: "edit() is for a button press on a message; this update is a \(raw.kind.rawValue)")
        }
        return try await send(BotMethods.EditMessageText(chatID: .id(chat), messageID: Int(message), text: text,
                                                         replyMarkup: try keyboard?.inlineMarkup()))
    }
}
