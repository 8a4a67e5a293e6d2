// python-telegram-bot's timer example on the cluster, with a JobQueue that survives restarts:
//   /set <seconds>   "Timer successfully set!", later "Beep! <seconds> seconds are over!"
//   /unset           "Timer successfully cancelled!" (or that there was none)
//
//   timerbot run --workers 2          (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, TGCLUSTER_DATA_DIR)
import TGCluster
import Foundation

let bot = Bot()
let usage = "Usage: /set <seconds>"

bot.timer("beep") { (seconds: Int, ctx: TimerContext) in
    try await ctx.reply("Beep! \(seconds) seconds are over!")
}

bot.onCommand("start") { ctx in
    try await ctx.reply("Hi! Use /set <seconds> to set a timer")
}
bot.onCommand("help") { ctx in
    try await ctx.reply("Hi! Use /set <seconds> to set a timer")
}

// Serial: replacing the chat's timer and answering happen in one transaction.
bot.onCommand("set", .serial) { ctx in
    guard let chat = ctx.chatID else { return }
    guard ctx.arguments.count == 1, let seconds = Int(ctx.arguments[0]), seconds >= 0 else {
        try await ctx.reply(usage)
        return
    }
    let removed = try await ctx.jobQueue.cancel(name: "timer", chatID: chat) > 0
    try await ctx.jobQueue.runOnce("beep", after: .seconds(seconds), name: "timer", payload: seconds, chatID: chat)
    try await ctx.reply(removed ? "Timer successfully set! Old one was removed." : "Timer successfully set!")
}

bot.onCommand("unset", .serial) { ctx in
    guard let chat = ctx.chatID else { return }
    let removed = try await ctx.jobQueue.cancel(name: "timer", chatID: chat) > 0
    try await ctx.reply(removed ? "Timer successfully cancelled!" : "You have no active timer.")
}

await Cluster.main(bot)
