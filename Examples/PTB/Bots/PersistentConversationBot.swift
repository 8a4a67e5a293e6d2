import TGCluster

/// python-telegram-bot's `persistentconversationbot.py`: a conversation that collects facts
/// about the user, and remembers them (and where it was) across restarts. Its persistence is
/// the sequencer's store: nothing to configure.
public enum PersistentConversationBot {
    enum Step: String { case choosing, typingReply, typingChoice }

    static let markup = ReplyKeyboard(["Age", "Favourite colour", "Number of siblings", "Something else...", "Done"]).adjust(2, 2, 1).oneTime()

    static func facts(_ data: StoredValues) -> String {
        "\n" + data.all.sorted { $0.key < $1.key }.map { "\($0.key) - \($0.value)" }.joined(separator: "\n") + "\n"
    }

    public static func make() -> Bot {
        let bot = Bot()
        let talk = ConversationHandler<Step>("my_conversation")
        talk.entry(.command("start")) { ctx, _ in
            let known = try ctx.userData.all.keys.sorted()
            try await ctx.reply("Hi! My name is Doctor Botter." + (known.isEmpty
                ? " I will hold a more complex conversation with you. Why don't you tell me something about yourself?"
                : " You already told me your \(known.joined(separator: ", ")). Why don't you tell me something more about yourself? "
                  + "Or change anything I already know."), keyboard: markup)
            return .next(.choosing)
        }
        let regularChoice: ConversationHandler<Step>.Step = { ctx, _ in
            let (text, data) = (ctx.text?.lowercased() ?? "", try ctx.userData)
            data["choice"] = text
            try await ctx.reply(data[text].map { "Your \(text)? I already know the following about that: \($0)" }
                                ?? "Your \(text)? Yes, I would love to hear about that!")
            return .next(.typingReply)
        }
        let typing = Filter.text && !(.command || .text("Done"))
        talk.on(.choosing, .text(matching: "^(Age|Favourite colour|Number of siblings)$"), regularChoice)
        talk.on(.choosing, .text("Something else...")) { ctx, _ in
            try await ctx.reply("Alright, please send me the category first, for example \"Most impressive skill\"")
            return .next(.typingChoice)
        }
        talk.on(.typingChoice, typing, regularChoice)
        talk.on(.typingReply, typing) { ctx, _ in
            let data = try ctx.userData
            data[data["choice"] ?? ""] = ctx.text?.lowercased()
            data["choice"] = nil
            try await ctx.reply("Neat! Just so you know, this is what you already told me:\(facts(data))"
                                + "You can tell me more, or change your opinion on something.", keyboard: markup)
            return .next(.choosing)
        }
        talk.fallback(.text("Done")) { ctx, _ in
            let data = try ctx.userData
            data["choice"] = nil
            try await ctx.reply("I learned these facts about you: \(facts(data))Until next time!", keyboard: .remove)
            return .end
        }
        bot.add(talk)
        bot.onCommand("show_data", .serial) { ctx in
            try await ctx.reply("This is what you already told me: \(facts(try ctx.userData))")
        }
        return bot
    }
}
