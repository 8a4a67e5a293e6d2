// The sequencer benchmark's bot: serial handlers as small as state changes get, so the figure
// is the sequencer's own (group commit, outbox), not a handler's.
//   /inc        adds 1 to a shared counter (a write and a commit, no side effect)
//   /inc_reply  the same, and replies "count <update_id>" through the outbox
import Cluster
import Foundation
import GRDB

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
await Cluster.main(bot)
