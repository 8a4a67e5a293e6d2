import BotAPI
import Foundation

/// Answering an inline query (`@yourbot text` typed in any chat): the results the user picks
/// from. In a serial handler the answer goes through the outbox (after the commit), like every
/// call; Telegram waits about 10 s for it.
extension Context {
    /// Answers the inline query this update is. `cacheTime` is how long Telegram may show the
    /// same results for the same query (seconds; its default is 300), `personal` keeps them to
    /// this user. Throws for another kind of update.
    public func answerInline(_ results: [InlineQueryResult], cacheTime: Int? = nil, personal: Bool = false,
                             nextOffset: String? = nil) async throws {
        guard let id = raw.string(at: "inline_query", "id") else {
            throw ContextError(message: "answerInline() is for an inline query; this update is a \(raw.kind.rawValue)")
        }
        try await send(BotMethods.AnswerInlineQuery(inlineQueryID: id, results: results, cacheTime: cacheTime,
                                                   isPersonal: personal ? true : nil, nextOffset: nextOffset))
    }
}

extension InlineQueryResult {
    /// A result that sends `text` when picked: an article with its one legal `type` filled in
    /// (the generated `InlineQueryResultArticle` asks for it).
    public static func text(id: String, title: String, text: String, description: String? = nil,
                            parseMode: String? = nil, keyboard: InlineKeyboard? = nil) throws -> InlineQueryResult {
        .article(InlineQueryResultArticle(type: "article", id: id, title: title,
                                          inputMessageContent: .inputTextMessageContent(InputTextMessageContent(messageText: text, parseMode: parseMode)),
                                          replyMarkup: try keyboard?.inlineMarkup(), description: description))
    }
}
