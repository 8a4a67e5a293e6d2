// A bot for the cluster's integration tests: echo, nested jobs, a poison update, a hang, and
// serial handlers with state, a conversation, a rollback and an outbox job's result.
import TGCluster
import Foundation
import Locking
import Synchronization

let bot = Bot()
// The worker-loop test runs this bot with its handlers on the workers' event-loop threads.
if ProcessInfo.processInfo.environment["TESTBOT_WORKER_LOOP"] == "1" { bot.workerThreads = .eventLoop }

/// The bot's own type called `State`: `import TGCluster` must leave the name free.
enum State: String {
    case name, age
}

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
// A leak: keeps N MB for good ("/leak N"), or holds them for 5 s before answering ("/leak N hold").
let leaked = LeakedMemory()
bot.onCommand("leak") { ctx in
    let mb = Int(ctx.arguments.first ?? "10") ?? 10
    let block = [UInt8](repeating: 1, count: mb << 20)
    if ctx.arguments.dropFirst().first == "hold" {
        try await Task.sleep(for: .seconds(5))
        try await ctx.reply("held \(block.count >> 20) MB")
    } else {
        leaked.keep(block)
        try await ctx.reply("leaked \(mb) MB")
    }
}
// N concurrent Bot API calls from one handler ("/fanout N"): the descriptor test's burst.
bot.onCommand("fanout") { ctx in
    let n = Int(ctx.arguments.first ?? "100") ?? 100
    try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 0..<n {
            group.addTask { _ = try await ctx.reply("fan \(i)") }
        }
        try await group.waitForAll()
    }
    try await ctx.reply("fanout: \(n)")
}
bot.onCommand("hang") { _ in
    try await Task.sleep(for: .seconds(3600))
}
// Handlers that hold a pool thread and never give it back: a spin and a blocking sleep.
bot.onCommand("spin") { _ in
    var n = 0
    while !Task.isCancelled { n &+= 1 }
}
bot.onCommand("block") { _ in
    while true { usleep(100_000) }
}
// Computes for the seconds given without awaiting anything, then answers (the stall test).
bot.onCommand("busy") { ctx in
    let until = ContinuousClock.now + .milliseconds(Int((Double(ctx.arguments.first ?? "") ?? 1) * 1000))
    while ContinuousClock.now < until {}
    try await ctx.reply("busy done")
}
// The name of the thread that runs the handler (the worker-loop test).
bot.onCommand("thread") { ctx in
    let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "?"
    try await ctx.reply("thread: \(name.trimmingCharacters(in: .whitespacesAndNewlines))")
}
bot.onCommand("fail") { _ in
    struct Failure: Error {}
    throw Failure()
}
// The sequencer: a two-step dialogue whose answers start with "a: ".
bot.migration("testbot.v1") { db in
    try db.execute(sql: "CREATE TABLE note(chat INTEGER NOT NULL, text TEXT NOT NULL)")
}
bot.onCommand("survey", .serial) { ctx in
    try ctx.conversation.set(State.name.rawValue)
    try await ctx.reply("Your name?")
}
bot.onText(matching: "^a: ", .serial) { ctx in
    let answer = String((ctx.text ?? "").dropFirst(3))
    switch try ctx.conversation.state.flatMap(State.init(rawValue:)) {
    case .name?:
        try ctx.conversation.set(State.age.rawValue, data: ["name": answer])
        try await ctx.reply("Your age, \(answer)?")
    case .age?:
        let name = try ctx.conversation.data["name"] ?? "?"
        try ctx.conversation.end()
        try await ctx.reply("Thanks \(name), \(answer)")
    default:
        try await ctx.reply("no survey going on")
    }
}
// Writes, then throws: the write is rolled back, the error handler's reply is still sent.
bot.onCommand("breakit", .serial) { ctx in
    try ctx.state.write { db in try db.execute(sql: "INSERT INTO note(chat, text) VALUES (?, 'rolled back')", arguments: [ctx.chatID]) }
    struct Broken: Error {}
    throw Broken()
}
bot.onCommand("note", .serial) { ctx in
    try ctx.state.write { db in try db.execute(sql: "INSERT INTO note(chat, text) VALUES (?, 'kept')", arguments: [ctx.chatID]) }
    let n = try ctx.state.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM note WHERE chat = ?", arguments: [ctx.chatID]) ?? 0 }
    try await ctx.reply("notes: \(n)")
}
// An outbox job's result, read by a later serial handler.
bot.job("square") { (n: Int, _: JobContext) in n * n }
bot.onCommand("square", .serial) { ctx in
    let promise = try ctx.runAsync("square", Int(ctx.arguments.first ?? "0") ?? 0)
    try await ctx.reply("job \(promise.key ?? "-")")
}
bot.onCommand("result", .serial) { ctx in
    switch try ctx.outboxJob(ctx.arguments.first ?? "") {
    case .finished(let data)?: try await ctx.reply("result: \(String(decoding: data, as: UTF8.self))")
    case .pending?: try await ctx.reply("result: pending")
    case .failed(let why)?: try await ctx.reply("result failed: \(why)")
    case nil: try await ctx.reply("result: no such job")
    }
}
// The JobQueue: /burst N ms schedules N one-shot jobs due evenly over the next ms (serial, one
// transaction); /every K ms schedules K repeating jobs (concurrent: through the sequencer);
// /later s policy grace schedules one beep s seconds ahead with a misfire policy.
bot.timer("shot") { (i: Int, ctx: TimerContext) in
    try await ctx.reply("shot \(i)")
}
bot.timer("tick") { (i: Int, _: TimerContext) in }
bot.timer("beep") { (text: String, ctx: TimerContext) in
    try await ctx.reply("beep \(text)")
}
bot.onCommand("burst", .serial) { ctx in
    let n = Int(ctx.arguments.first ?? "") ?? 0
    let span = Double(ctx.arguments.dropFirst().first ?? "") ?? 1000
    let start = Date().addingTimeInterval(1)
    for i in 0..<n {
        try await ctx.jobQueue.runOnce("shot", at: start.addingTimeInterval(span / 1000 * Double(i) / Double(max(n, 1))),
                                      name: "shot", payload: i, chatID: ctx.chatID)
    }
    try await ctx.reply("burst: \(n)")
}
bot.onCommand("every") { ctx in
    let n = Int(ctx.arguments.first ?? "") ?? 0
    let ms = Int(ctx.arguments.dropFirst().first ?? "") ?? 500
    for i in 0..<n {
        try await ctx.jobQueue.runRepeating("tick", every: .milliseconds(ms), name: "tick", payload: i)
    }
    let listed = try await ctx.jobQueue.jobs(named: "tick").count
    try await ctx.reply("every: \(listed)")
}
bot.onCommand("later", .serial) { ctx in
    let seconds = Double(ctx.arguments.first ?? "") ?? 1
    let policy = MisfirePolicy(rawValue: ctx.arguments.dropFirst().first ?? "once") ?? .runOnce
    let grace = Double(ctx.arguments.dropFirst(2).first ?? "") ?? 60
    try await ctx.jobQueue.runOnce("beep", after: .milliseconds(Int(seconds * 1000)), name: "later-\(policy.rawValue)",
                                  payload: policy.rawValue, chatID: ctx.chatID, misfire: policy, grace: .milliseconds(Int(grace * 1000)))
    try await ctx.reply("later: \(policy.rawValue)")
}
// The next build of this bot, for the upgrade test: TESTBOT_VERSION=2 adds a handler (and so
// changes the handler table's fingerprint).
if ProcessInfo.processInfo.environment["TESTBOT_VERSION"] == "2" {
    bot.onCommand("version") { ctx in
        try await ctx.reply("version 2")
    }
}
// A declared conversation: a wrong answer is not its business and goes on to the echo below
// (a concurrent handler, run by a worker after the sequencer's commit).
enum Quiz: String { case answer }
let quiz = ConversationHandler<Quiz>("quiz")
quiz.entry(.command("quiz")) { ctx, _ in
    try await ctx.reply("Capital of France?")
    return .next(.answer)
}
quiz.on(.answer, .text("Paris")) { ctx, _ in
    try await ctx.reply("Right!")
    return .end
}
bot.add(quiz)
// A conversation with a short timeout: its handler runs on time, without another update.
enum Countdown: String { case waiting }
let countdown = ConversationHandler<Countdown>("countdown", timeout: .milliseconds(800))
countdown.entry(.command("countdown")) { ctx, talk in
    talk["started"] = "\(Date().timeIntervalSince1970)"
    try await ctx.reply("Say something within 0.8 s")
    return .next(.waiting)
}
countdown.on(.waiting, .text("now")) { ctx, _ in
    try await ctx.reply("In time")
    return .end
}
countdown.onTimeout { ctx, talk in
    let waited = Date().timeIntervalSince1970 - (Double(talk["started"] ?? "") ?? 0)
    try await ctx.reply(String(format: "Too slow (%.1f s)", waited))
}
bot.add(countdown)
// A two-step handler: the quote in the pool, the purchase in the sequencer. `/buy die` kills
// its worker after the work and before the result leaves (on the first attempt only).
struct Quote: Codable, Sendable {
    var price: Int
}
bot.migration("testbot.v2") { db in
    try db.execute(sql: "CREATE TABLE purchase(update_id INTEGER PRIMARY KEY, chat INTEGER NOT NULL, price INTEGER NOT NULL)")
}
bot.onCommand("buy", prepare: { ctx in
    try await ctx.reply("quoting (attempt \(ctx.attempt))")
    if ctx.arguments.first == "die", ctx.attempt == 1 { kill(getpid(), SIGKILL) }
    return Quote(price: 100 + ctx.attempt)
}, apply: { ctx, quote in
    try ctx.state.write { db in
        try db.execute(sql: "INSERT INTO purchase VALUES (?, ?, ?)", arguments: [ctx.raw.updateID, ctx.chatID, quote.price])
    }
    let n = try ctx.state.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM purchase WHERE chat = ?", arguments: [ctx.chatID]) ?? 0 }
    try await ctx.reply("bought at \(quote.price) (purchases: \(n))")
})
// A rate limit of its own: 3 /limited per user a minute, counted across every process.
let limited = Router("limited", filter: .command("limited"))
limited.use(RateLimit.perUser(3, per: .seconds(60), name: "limited") { ctx in try await ctx.reply("slow down") })
limited.onCommand("limited") { ctx in try await ctx.reply("ok") }
bot.include(limited)
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

/// Memory a handler never gives back (for the memory-limit test).
final class LeakedMemory: Sendable {
    private let blocks = Mutex<[[UInt8]]>([])
    func keep(_ block: [UInt8]) { blocks.locked { $0.append(block) } }
}
