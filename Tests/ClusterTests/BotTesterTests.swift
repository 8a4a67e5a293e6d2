import BotAPI
import Foundation
import Locking
import Synchronization
import TGBot
import TGClusterTesting
import Testing

/// The handler tester (`TGClusterTesting`): a bot's handlers in the test process, on the same
/// group commit and job runner as the roles, against the emulator.
@Suite("BotTester")
struct BotTesterTests {
    struct Refused: Error {}

    /// A bot with one of each: a concurrent echo that runs a job, a serial handler that replies
    /// and then throws, a button, a reminder on the JobQueue, a direct client call.
    static func bot() -> Bot {
        let bot = Bot()
        bot.job("double") { (n: Int, _: JobContext) in n * 2 }
        bot.onCommand("double") { ctx in
            let n = Int(ctx.arguments.first ?? "") ?? 0
            let doubled: Int = try await ctx.runAsync("double", n).value()
            try await ctx.reply("\(n) doubled is \(doubled)")
        }
        bot.onCommand("broken", .serial) { ctx in
            try await ctx.reply("never sent: the update does not commit")
            throw Refused()
        }
        bot.onCommand("remind", .serial) { ctx in
            try await ctx.jobQueue.runOnce("remind", after: .zero, payload: "tea", chatID: ctx.chatID)
            try await ctx.reply("I will remind you.")
        }
        bot.timer("remind") { (what: String, ctx: TimerContext) in
            try await ctx.reply("Time for \(what)!")
        }
        bot.onCommand("me") { ctx in
            _ = try await ctx.client.call(BotMethods.GetMe())
        }
        bot.onCommand("vote") { ctx in
            try await ctx.reply("Vote?", keyboard: InlineKeyboard().button("Yes", data: "vote:yes").button("No", data: "vote:no").adjust(2))
        }
        bot.onCallbackQuery(prefix: "vote:") { ctx in
            // The message the button sits under is the bot's: it can be edited.
            try await ctx.answer("Counted: \(ctx.callbackData ?? "?")")
            try await ctx.edit("Voted")
            try await ctx.reply("Thanks for your vote")
        }
        bot.onCommand("answer") { ctx in
            try await ctx.answer("not a button")
        }
        // The typed views, the same in both modes.
        for (command, mode) in [("who", Bot.Mode.concurrent), ("whoserial", .serial)] {
            bot.onCommand(command, mode) { ctx in
                try await ctx.reply("\(ctx.message?.text ?? "-") from \(ctx.from?.id ?? 0) in \(ctx.chat?.id ?? 0) "
                                    + "\(ctx.chat?.type ?? "-") q=\(ctx.callbackQuery == nil)")
            }
        }
        bot.onCallbackQuery(prefix: "typed:") { ctx in
            try await ctx.reply("\(ctx.callbackQuery?.data ?? "-") from \(ctx.from?.id ?? 0) in \(ctx.chat?.id ?? 0) m=\(ctx.message == nil)")
        }
        // Chat shortcuts, the same in both modes: an action before the reply, a deleted message.
        for (command, mode) in [("busy", Bot.Mode.concurrent), ("busyserial", .serial)] {
            bot.onCommand(command, mode) { ctx in
                try await ctx.chatAction(.typing)
                try await ctx.delete()
                try await ctx.reply("done")
            }
        }
        bot.onInlineQuery { ctx in
            let query = ctx.inlineQuery?.query ?? ""
            try await ctx.answerInline([try .text(id: "echo", title: "Echo", text: query), try .text(id: "loud", title: "LOUD", text: query.uppercased())],
                                       cacheTime: 0, personal: true)
        }
        bot.onCallbackQuery(prefix: "gone:") { ctx in
            try await ctx.delete()
        }
        bot.onError { error, ctx in
            _ = try? await ctx?.reply("Sorry, that failed.")
        }
        return bot
    }

    /// An inline query answered with text results, each with its `type`: the emulator accepts
    /// the answer (it checks the query id, the ids and each type), and `answerInline` on a
    /// message says what it is for.
    @Test func anInlineQuery_isAnswered_withTypedTextResults() async throws {
        try await withBotTester(Self.bot()) { tester in
            let calls = try await tester.inlineQuery("hello", user: 81)
            #expect(calls.map(\.method) == ["answerInlineQuery"], "\(calls)")
            let accepted = calls.first?.ok == true
            #expect(accepted, "\(calls)")
            let parameters = calls.first.flatMap { try? JSONSerialization.jsonObject(with: $0.parameters) } as? [String: Any]
            let results = parameters?["results"] as? [[String: Any]] ?? []
            #expect(results.map { $0["type"] as? String } == ["article", "article"])
            let texts = results.map { ($0["input_message_content"] as? [String: Any])?["message_text"] as? String }
            #expect(texts == ["hello", "HELLO"])
        }
    }

    /// `chatAction` and `delete` send what Telegram expects, in both modes, and the emulator
    /// accepts them: the action is one of its list, the deleted message existed (a second delete
    /// of it would be refused).
    @Test func chatActionAndDelete_inBothModes_andOnAButtonsMessage() async throws {
        try await withBotTester(Self.bot()) { tester in
            for command in ["/busy", "/busyserial"] {
                let calls = try await tester.send(command, chat: 79)
                #expect(calls.map(\.method) == ["sendChatAction", "deleteMessage", "sendMessage"], "\(calls)")
                let accepted = calls.allSatisfy { $0.ok }
                #expect(accepted, "\(calls)")
                #expect(calls.first?.string("action") == "typing")
            }
            _ = try await tester.send("/vote", chat: 80)
            let pressed = try await tester.press("gone:1", chat: 80)
            let deleted = pressed.map(\.method) == ["deleteMessage"] && pressed.allSatisfy { $0.ok }
            #expect(deleted, "\(pressed)")
        }
    }

    @Test func aConcurrentHandler_runsItsJob_andReplies() async throws {
        try await withBotTester(Self.bot()) { tester in
            let calls = try await tester.send("/double 21", chat: 7)
            #expect(calls.map(\.method) == ["sendMessage"])
            #expect(calls.first?.text == "21 doubled is 42")
            #expect(calls.first?.chatID == 7)
        }
    }

    @Test func aSerialHandlerThatThrows_sendsNothingOfItsOwn_onlyTheErrorHandlersReply() async throws {
        try await withBotTester(Self.bot()) { tester in
            let failure = try await #require(throws: BotTester.HandlerFailure.self) { try await tester.send("/broken", chat: 8) }
            #expect(failure.calls.map(\.text) == ["Sorry, that failed."])
            #expect(failure.errors.count == 1)
        }
    }

    /// A serial handler's reply goes out after the commit; when Telegram refuses it (the chat
    /// blocked the bot: 403), the error handler hears which call, to which chat, and why.
    @Test func aDeferredCallThatFails_reachesTheErrorHandler_withItsMethodChatAndReason() async throws {
        let heard = Mutex<[String]>([])
        let bot = Bot()
        let lastUpdate = Mutex<Int64>(0)
        bot.onCommand("hello", .serial) { ctx in
            lastUpdate.locked { $0 = ctx.raw.updateID }
            try await ctx.reply("hello back")
        }
        bot.onError { error, ctx in
            guard let failed = error as? DeferredCallError else { heard.locked { $0.append("other: \(error)") }; return }
            heard.locked { $0.append("\(failed.method) \(failed.chatID ?? 0) \(failed.apiError?.errorCode ?? 0) "
                                     + "update=\(failed.updateID ?? 0) ctx=\(ctx == nil ? "nil" : "some")") }
        }
        try await withBotTester(bot) { tester in
            #expect(try await tester.send("/hello", chat: 12).map(\.text) == ["hello back"])
            #expect(heard.locked { $0 }.isEmpty)
            try tester.sim.emulator.setBlocked(chatID: 12, true)
            let failure = try await #require(throws: BotTester.HandlerFailure.self) { try await tester.send("/hello", chat: 12) }
            // With the id of the update whose handler made the call (its log lines carry it too).
            #expect(heard.locked { $0 } == ["sendMessage 12 403 update=\(lastUpdate.locked { $0 }) ctx=nil"])
            #expect(failure.errors.count == 1)
            let described = "\(DeferredCallError(method: "sendMessage", parameters: Data(#"{"chat_id":"@news","text":"x"}"#.utf8), underlying: Refused()))"
            #expect(described == "deferred sendMessage failed: Refused()", "a channel's username is no chat id")
        }
    }

    /// A serial handler's answer to a button leaves at once, not after the commit: a handler
    /// that answers and then fails has answered (the spinner stopped) though its reply is gone
    /// with the rollback; in a handler that succeeds the answer comes before the reply.
    @Test func aSerialButtonAnswer_leavesBeforeTheCommit() async throws {
        let bot = Bot()
        bot.onCallbackQuery(prefix: "pay:", .serial) { ctx in
            try await ctx.answer("Paid")
            try await ctx.reply("receipt")
            if ctx.callbackData == "pay:fail" { throw Refused() }
        }
        try await withBotTester(bot) { tester in
            let failure = try await #require(throws: BotTester.HandlerFailure.self) { try await tester.press("pay:fail", chat: 13) }
            #expect(failure.calls.map(\.method) == ["answerCallbackQuery"], "\(failure.calls)")
            #expect(failure.calls.first?.ok == true)
            let calls = try await tester.press("pay:ok", chat: 13)
            #expect(calls.map(\.method) == ["answerCallbackQuery", "sendMessage"])
            #expect(calls.allSatisfy { $0.ok })
        }
    }

    /// Nor does the sequencer wait for the answer's round trip: with Telegram 400 ms away, the
    /// serial handler goes on at once (awaiting it, 50 presses/s stalled every serial update
    /// for seconds: `scripts/bench buttons`). The tester still sees the answer.
    @Test func aSerialButtonAnswer_doesNotHoldTheSequencer() async throws {
        let took = Mutex<Duration>(.zero)
        let bot = Bot()
        bot.onCallbackQuery(prefix: "pay:", .serial) { ctx in
            let start = ContinuousClock.now
            try await ctx.answer("Paid")
            took.locked { $0 = .now - start }
        }
        try await withBotTester(bot, configureSim: { $0.latency = .milliseconds(400) }) { (tester: BotTester) async throws in
            #expect(try await tester.press("pay:ok", chat: 14).map(\.method) == ["answerCallbackQuery"])
        }
        #expect(took.locked { $0 } < .milliseconds(200), "the handler waited \(took.locked { $0 }) for the answer")
    }

    @Test func aCallbackShortcut_onAnotherUpdate_saysWhatItIsFor() async throws {
        try await withBotTester(Self.bot()) { tester in
            let failure = try await #require(throws: BotTester.HandlerFailure.self) { try await tester.send("/answer", chat: 11) }
            #expect(failure.errors.first?.contains("answer() is for a callback query; this update is a message") == true, "\(failure)")
        }
    }

    @Test func aReminder_isStored_andFiresWhenDue() async throws {
        try await withBotTester(Self.bot()) { tester in
            #expect(try await tester.send("/remind", chat: 9).map(\.text) == ["I will remind you."])
            let scheduled = try tester.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM tgcluster_schedule") }
            #expect(scheduled == 1)
            #expect(try await tester.fireDueTimers().map(\.text) == ["Time for tea!"])
            // Once: nothing is due any more.
            #expect(try await tester.fireDueTimers().isEmpty)
        }
    }

    @Test func directClientCalls_buttons_andUnhandledUpdates() async throws {
        try await withBotTester(Self.bot()) { tester in
            let me = try await tester.send("/me", chat: 10)
            #expect(me.map(\.method) == ["getMe"])
            let asked = try await tester.send("/vote", chat: 10)
            #expect(asked.first.map { String(decoding: $0.parameters, as: UTF8.self).contains("vote:no") } == true, "\(asked)")
            let vote = try await tester.press("vote:yes", chat: 10)
            #expect(vote.map(\.method) == ["answerCallbackQuery", "editMessageText", "sendMessage"])
            #expect(vote.first?.text == "Counted: vote:yes")
            let allOK = vote.allSatisfy { $0.ok }
            #expect(allOK, "\(vote)")
            #expect(vote.last?.text == "Thanks for your vote")
            // No handler takes it: the broker would drop it, and nothing is called.
            let unhandled = try await tester.send("hello", chat: 10)
            #expect(unhandled.isEmpty)
            #expect(tester.calls().count == 5)
        }
    }

    @Test func typedViews_message_from_chat_callbackQuery_inBothModes() async throws {
        try await withBotTester(Self.bot()) { tester in
            for command in ["/who", "/whoserial"] {
                let calls = try await tester.send(command, chat: 77)
                #expect(calls.first?.text == "\(command) from 77 in 77 private q=true", "\(calls)")
            }
            _ = try await tester.send("/vote", chat: 78)
            let pressed = try await tester.press("typed:1", chat: 78)
            #expect(pressed.first?.text == "typed:1 from 78 in 78 m=true", "\(pressed)")
        }
    }
}
