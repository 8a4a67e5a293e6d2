import TGCluster

/// python-telegram-bot's `inlinekeyboard.py`: three buttons, and the message edited to say
/// which was pressed.
public enum InlineKeyboardBot {
    public static func make() -> Bot {
        let bot = Bot()
        bot.onCommand("start") { ctx in
            try await ctx.reply("Please choose:", keyboard: InlineKeyboard().button("Option 1", data: "1").button("Option 2", data: "2")
                .button("Option 3", data: "3").adjust(2, 1))
        }
        bot.onCallbackQuery { ctx in
            // Answered even with nothing to say: some clients show a spinner until then.
            try await ctx.answer()
            try await ctx.edit("Selected option: \(ctx.callbackData ?? "")")
        }
        bot.onCommand("help") { ctx in try await ctx.reply("Use /start to test this bot.") }
        return bot
    }
}
