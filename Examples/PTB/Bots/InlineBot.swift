import Foundation
import TGCluster

/// python-telegram-bot's `inlinebot.py`: `@bot text` offers the text in capitals, bold and
/// italic.
public enum InlineBot {
    public static func make() -> Bot {
        let bot = Bot()
        bot.onCommand("start") { ctx in try await ctx.reply("Hi!") }
        bot.onCommand("help") { ctx in try await ctx.reply("Help!") }
        bot.onInlineQuery { ctx in
            guard let query = ctx.inlineQuery?.query, !query.isEmpty else { return }
            try await ctx.answerInline([
                .text(id: UUID().uuidString, title: "Caps", text: query.uppercased()),
                .text(id: UUID().uuidString, title: "Bold", text: "<b>\(query.htmlEscaped)</b>", parseMode: "HTML"),
                .text(id: UUID().uuidString, title: "Italic", text: "<i>\(query.htmlEscaped)</i>", parseMode: "HTML"),
            ])
        }
        return bot
    }
}
