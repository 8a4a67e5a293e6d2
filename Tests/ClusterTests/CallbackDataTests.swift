import BotAPI
import Foundation
import TGBot
import TGClusterTesting
import Testing

/// Typed callback data: packed by position into Telegram's 64 bytes, decoded on the press, and
/// refused before sending when it does not fit.
@Suite("CallbackData")
struct CallbackDataTests {
    enum Choice: String, Codable { case yes, no }

    struct Vote: CallbackData, Equatable {
        static let prefix = "vote"
        var poll: Int
        var choice: Choice
    }

    struct Note: CallbackData, Equatable {
        static let prefix = "n"
        var text: String
        var page: Int?
        var urgent: Bool
        var score: Double
    }

    struct Long: CallbackData {
        static let prefix = "long"
        var text: String
    }

    struct Nested: CallbackData {
        static let prefix = "nest"
        var vote: Vote
    }

    @Test func aValue_packsByPosition_andComesBack() throws {
        #expect(try Vote(poll: 3, choice: .yes).packed() == "vote:3:yes")
        #expect(Vote.unpack("vote:3:yes") == Vote(poll: 3, choice: .yes))
        let note = Note(text: "a:b%c", page: nil, urgent: true, score: 0.5)
        #expect(try note.packed() == "n:a%3Ab%25c::1:0.5")
        #expect(Note.unpack(try note.packed()) == note)
        let paged = Note(text: "", page: 7, urgent: false, score: -2)
        #expect(Note.unpack(try paged.packed()) == paged)
    }

    @Test func dataOfAnotherTypeOrFormat_isNotThisType() {
        #expect(Vote.unpack("poll:3:yes") == nil, "another prefix")
        #expect(Vote.unpack("vote:3") == nil, "fewer values than fields")
        #expect(Vote.unpack("vote:3:yes:extra") == nil, "more values than fields")
        #expect(Vote.unpack("vote:x:yes") == nil, "not an Int")
        #expect(Vote.unpack("vote:3:maybe") == nil, "not a Choice")
    }

    @Test func tooLongOrNested_isAClearErrorBeforeSending() throws {
        #expect(throws: CallbackDataError.self) { try Long(text: String(repeating: "x", count: 60)).packed() }
        #expect(try Long(text: String(repeating: "x", count: 59)).packed().utf8.count == 64, "64 bytes is still allowed")
        #expect(throws: CallbackDataError.self) { try Nested(vote: Vote(poll: 1, choice: .no)).packed() }
        let keyboard = InlineKeyboard().button("ok", data: Vote(poll: 1, choice: .yes)).button("too long", data: Long(text: String(repeating: "é", count: 40)))
        #expect(throws: KeyboardError.self) { try keyboard.markup() }
        #expect(throws: Never.self) { try InlineKeyboard().button("ok", data: Vote(poll: 1, choice: .yes)).markup() }
    }

    static func bot() -> Bot {
        let bot = Bot()
        bot.onCommand("poll") { ctx in
            try await ctx.reply("Vote?", keyboard: InlineKeyboard().button("Yes", data: Vote(poll: 9, choice: .yes))
                .button("No", data: Vote(poll: 9, choice: .no)).adjust(2))
        }
        bot.onCallback(Vote.self, where: { $0.choice == .no }) { ctx, vote in try await ctx.answer("Sorry to hear it (poll \(vote.poll))") }
        bot.onCallback(Vote.self, .serial) { ctx, vote in try await ctx.edit("Voted \(vote.choice.rawValue) in poll \(vote.poll)") }
        bot.onCallbackQuery { ctx in try await ctx.answer("unknown button \(ctx.callbackData ?? "")") }
        return bot
    }

    @Test func onCallback_getsTheDecodedValue_inBothModes_andOtherDataGoesOn() async throws {
        try await withBotTester(Self.bot()) { tester in
            let sent = try await tester.send("/poll", chat: 31)
            let markup = sent.first.map { String(decoding: $0.parameters, as: UTF8.self) } ?? ""
            #expect(markup.contains("vote:9:yes") && markup.contains("vote:9:no"), "\(markup)")
            let yes = try await tester.press("vote:9:yes", chat: 31)
            #expect(yes.map(\.method) == ["editMessageText"] && yes.first?.text == "Voted yes in poll 9", "\(yes)")
            let no = try await tester.press("vote:9:no", chat: 31)
            #expect(no.map(\.method) == ["answerCallbackQuery"], "\(no)")
            let stale = try await tester.press("vote:9:perhaps", chat: 31)
            #expect(stale.map(\.method) == ["answerCallbackQuery"], "\(stale)")
            let parameters = String(decoding: stale.first?.parameters ?? Data(), as: UTF8.self)
            #expect(parameters.contains("unknown button vote:9:perhaps"), "\(parameters)")
        }
    }
}
