// A bot for the cluster's integration tests: echo, nested jobs, a poison update, a hang.
import Cluster
import Foundation

let bot = Bot()

// The guide's nested example: a parent job runs two children, each runs a grandchild.
bot.job("grandchild") { (n: Int, _: JobContext) in n + 1 }
bot.job("child") { (n: Int, ctx: JobContext) in
    try await ctx.runAsync("grandchild", n).value(as: Int.self) * 2
}
bot.job("parent") { (n: Int, ctx: JobContext) in
    let a = try ctx.runAsync("child", n)
    let b = try ctx.runAsync("child", n + 1)
    return try await a.value(as: Int.self) + b.value(as: Int.self)
}
bot.onCommand("nested") { ctx in
    let n = Int(ctx.arguments.first ?? "1") ?? 1
    let total = try await ctx.runAsync("parent", n).value(as: Int.self)
    try await ctx.reply("nested: \(total)")
}
// A poison update: kills whatever process runs it.
bot.onCommand("crash") { _ in
    fatalError("poison update")
}
bot.onCommand("hang") { _ in
    try await Task.sleep(for: .seconds(3600))
}
bot.onCommand("fail") { _ in
    struct Failure: Error {}
    throw Failure()
}
bot.onText { ctx in
    try await ctx.reply(ctx.text ?? "")
}
bot.onError { error, ctx in
    if let dead = error as? DeadLetterError, let ctx {
        _ = try? await ctx.reply("dead-lettered: \(dead.reason)")
    } else if let ctx {
        _ = try? await ctx.reply("error: \(error)")
    }
}
await Cluster.main(bot)
