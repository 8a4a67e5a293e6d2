// The guide's bank, safe: balances change in the sequencer, one update at a time, in order;
// the notifications and log entries leave as jobs after the commit.
//
//   bankbot run --workers 4          (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, TGCLUSTER_DATA_DIR)
//
// BANKBOT_MODE=naive runs the guide's unsafe version instead, for comparison: concurrent
// handlers in the pool that read both balances, await a send, then write them back.
import Bank
import Foundation
import TGCluster

let bot = Bot()

if ProcessInfo.processInfo.environment["BANKBOT_MODE"] == "naive" {
    NaiveBank.register(on: bot)
} else {
    Bank.register(on: bot)
}
await Cluster.main(bot)
