// The bank's tests, as a bot author writes them for a bot of their own (README: "Testing your
// own bot"): the handlers in the test process with `withBotTester`, the whole cluster with
// `withCluster`.
import Bank
import TGCluster
import TGClusterTesting
import Testing

@Suite struct BankTests {
    /// The bank's handlers on a fresh bot.
    static func bank() -> Bot {
        let bot = Bot()
        Bank.register(on: bot)
        return bot
    }

    @Test func aTransfer_movesTheMoney_andItsMessagesAndLogEntriesFollowInOrder() async throws {
        try await withBotTester(Self.bank()) { tester in
            try await tester.send("/open", chat: 1)
            try await tester.send("/open", chat: 2)
            let calls = try await tester.send("/transaction 250 2", chat: 1)
            #expect(calls.map(\.text) == ["Preparing...", "Transferring money...", "Done!"])
            #expect(calls.allSatisfy { $0.chatID == 1 && $0.ok })
            let balances = try tester.read { db in try Int.fetchAll(db, sql: "SELECT balance FROM account ORDER BY user") }
            #expect(balances == [750, 1250])
            // The log entries are jobs the handler emitted: they ran after the commit, in order.
            let log = try tester.read { db in try String.fetchAll(db, sql: "SELECT entry FROM bank_log ORDER BY id") }
            #expect(log == ["BEGINNING", "CALCULATED", "FINISHED"])
        }
    }

    @Test func anOverdraft_isRefused_andNoMoneyMoves() async throws {
        try await withBotTester(Self.bank()) { tester in
            try await tester.send("/open", chat: 1)
            try await tester.send("/open", chat: 2)
            let calls = try await tester.send("/transaction 5000 2", chat: 1)
            #expect(calls.map(\.text) == ["Refused: insufficient funds (balance 1000, amount 5000)"])
            #expect(try await tester.send("/balance", chat: 1).map(\.text) == ["Balance: 1000"])
        }
    }

    @Test func theWholeCluster_answersInOrder() async throws {
        try await withCluster(bot: "bankbot", workers: 2) { cluster in
            try await cluster.send("/open", chat: 1)
            try await cluster.send("/open", chat: 2)
            try await cluster.send("/transaction 100 2", chat: 1)
            try await cluster.send("/balance", chat: 2)
            try await cluster.waitUntilQuiet()
            let replies = try await cluster.replies()
            #expect(replies[1] == ["Account opened. Balance: 1000", "Preparing...", "Transferring money...", "Done!"])
            #expect(replies[2] == ["Account opened. Balance: 1000", "Balance: 1100"])
        }
    }
}
