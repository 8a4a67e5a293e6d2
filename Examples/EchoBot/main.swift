// The guide's Echobot on tgcluster: every text message is answered with the same text, in the
// same chat. `echobot run --workers 4` runs the whole cluster; configuration from the
// environment (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, TGCLUSTER_DATA_DIR).
import TGCluster

let bot = Bot()
// Its handlers only await the Bot API: they run on each worker's event-loop thread, where the
// jobs and the replies' answers arrive (no thread hand-over per update; see `Bot.WorkerThreads`).
bot.workerThreads = .eventLoop
bot.onCommand("start") { ctx in
    try await ctx.reply("Hi! Send me any text and I will send it back.")
}
bot.onText { ctx in
    try await ctx.reply(ctx.text ?? "")
}
bot.onError { error, ctx in
    ctx?.logger.error("echo failed", metadata: ["error": "\(error)"])
}
await Cluster.main(bot)
