import Foundation
import TGCluster

/// python-telegram-bot's `conversationbot.py`: a conversation in four states (gender, photo,
/// location, bio), each with its own handlers, `/skip` for the optional ones, `/cancel` in
/// every state.
public enum ConversationBot {
    enum Step: String { case gender, photo, location, bio }

    public static func make() -> Bot {
        let bot = Bot()
        let talk = ConversationHandler<Step>("conversation")
        talk.entry(.command("start")) { ctx, _ in
            try await ctx.reply("Hi! My name is Professor Bot. I will hold a conversation with you. Send /cancel to stop talking to me.\n\n"
                                + "Are you a boy or a girl?", keyboard: ReplyKeyboard(["Boy", "Girl", "Other"]).oneTime().placeholder("Boy or Girl?"))
            return .next(.gender)
        }
        talk.on(.gender, .text(matching: "^(Boy|Girl|Other)$")) { ctx, _ in
            ctx.logger.info("Gender of \(ctx.from?.firstName ?? "?"): \(ctx.text ?? "")")
            try await ctx.reply("I see! Please send me a photo of yourself, so I know what you look like, or send /skip if you don't want to.",
                                keyboard: .remove)
            return .next(.photo)
        }
        talk.on(.photo, .photo) { ctx, _ in
            let photo = try await ctx.download(ctx.message?.photo?.last?.fileID ?? "")
            try photo.write(to: FileManager.default.temporaryDirectory.appendingPathComponent("user_photo.jpg"))
            ctx.logger.info("Photo of \(ctx.from?.firstName ?? "?"): user_photo.jpg")
            try await ctx.reply("Gorgeous! Now, send me your location please, or send /skip if you don't want to.")
            return .next(.location)
        }
        talk.on(.photo, .command("skip")) { ctx, _ in
            ctx.logger.info("User \(ctx.from?.firstName ?? "?") did not send a photo.")
            try await ctx.reply("I bet you look great! Now, send me your location please, or send /skip.")
            return .next(.location)
        }
        talk.on(.location, .location) { ctx, _ in
            let location = ctx.message?.location
            ctx.logger.info("Location of \(ctx.from?.firstName ?? "?"): \(location?.latitude ?? 0) / \(location?.longitude ?? 0)")
            try await ctx.reply("Maybe I can visit you sometime! At last, tell me something about yourself.")
            return .next(.bio)
        }
        talk.on(.location, .command("skip")) { ctx, _ in
            ctx.logger.info("User \(ctx.from?.firstName ?? "?") did not send a location.")
            try await ctx.reply("You seem a bit paranoid! At last, tell me something about yourself.")
            return .next(.bio)
        }
        talk.on(.bio, .text && !.command) { ctx, _ in
            ctx.logger.info("Bio of \(ctx.from?.firstName ?? "?"): \(ctx.text ?? "")")
            try await ctx.reply("Thank you! I hope we can talk again some day.")
            return .end
        }
        talk.fallback(.command("cancel")) { ctx, _ in
            ctx.logger.info("User \(ctx.from?.firstName ?? "?") canceled the conversation.")
            try await ctx.reply("Bye! I hope we can talk again some day.", keyboard: .remove)
            return .end
        }
        bot.add(talk)
        return bot
    }
}
