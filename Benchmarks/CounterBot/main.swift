// The sequencer benchmark's bot: serial handlers as small as state changes get, so the figure
// is the sequencer's own (group commit, outbox), not a handler's.
//   /inc        adds 1 to a shared counter (a write and a commit, no side effect)
//   /inc_reply  the same, and replies "count <update_id>" through the outbox
//   /schedule N start_ms span_ms chats   N one-shot "ping" jobs due evenly over span_ms from
//               start_ms ahead, over `chats` chats (from 1000); each ping replies its lateness
//   buttons "now:…", "wait:…", "outbox:…"   a vote counted in the transaction, the press answered
//               at once unawaited (`ctx.answer`), at once awaited (what `answer` did before),
//               or through the outbox after the commit (`ctx.send`, as before issue 16)
import TGCluster
import Foundation

let bot = Bot()
bot.migration("counter.v1") { db in
    try db.execute(sql: "CREATE TABLE counter(id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)")
    try db.execute(sql: "INSERT INTO counter(id, value) VALUES (1, 0)")
}
bot.onCommand("inc", .serial) { ctx in
    try ctx.state.write { db in try db.execute(sql: "UPDATE counter SET value = value + 1 WHERE id = 1") }
}
bot.onCommand("inc_reply", .serial) { ctx in
    try ctx.state.write { db in try db.execute(sql: "UPDATE counter SET value = value + 1 WHERE id = 1") }
    try await ctx.reply("count \(ctx.updateID)")
}
bot.onCallbackQuery(prefix: "now:", .serial) { ctx in
    try ctx.state.write { db in try db.execute(sql: "UPDATE counter SET value = value + 1 WHERE id = 1") }
    try await ctx.answer("counted")
}
bot.onCallbackQuery(prefix: "wait:", .serial) { ctx in
    try ctx.state.write { db in try db.execute(sql: "UPDATE counter SET value = value + 1 WHERE id = 1") }
    _ = try? await ctx.client.send(BotMethods.AnswerCallbackQuery(callbackQueryID: ctx.raw.string(at: "callback_query", "id") ?? "",
                                                                  text: "counted"))
}
bot.onCallbackQuery(prefix: "outbox:", .serial) { ctx in
    try ctx.state.write { db in try db.execute(sql: "UPDATE counter SET value = value + 1 WHERE id = 1") }
    try await ctx.send(BotMethods.AnswerCallbackQuery(callbackQueryID: ctx.raw.string(at: "callback_query", "id") ?? "", text: "counted"))
}
bot.timer("ping") { (_: Int, ctx: TimerContext) in
    let late = Date().timeIntervalSince(ctx.scheduledFor) * 1000
    try await ctx.reply("late \(late)")
}
bot.onCommand("schedule", .serial) { ctx in
    let a = ctx.arguments.compactMap(Double.init)
    guard a.count == 4 else { return }
    let (n, start, span, chats) = (Int(a[0]), Date().addingTimeInterval(a[1] / 1000), a[2] / 1000, Int64(a[3]))
    for i in 0..<n {
        try await ctx.jobQueue.runOnce("ping", at: start.addingTimeInterval(span * Double(i) / Double(max(n, 1))), name: "ping",
                                      payload: i, chatID: 1000 + Int64(i) % chats)
    }
    try await ctx.reply("scheduled \(n)")
}
await Cluster.main(bot)
