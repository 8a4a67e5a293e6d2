import BotAPI
import Foundation
import TGBot
import Testing

/// Filters as values: each reads the bytes, and `&&`, `||`, `!` combine them (kinds too, so the
/// broker skips handlers of other kinds without calling them).
@Suite("Filters")
struct FilterTests {
    static func message(_ text: String?, chatType: String = "private", user: Int64 = 7, extra: String = "") throws -> RawUpdate {
        let textField = text.map { #","text":"\#($0)""# } ?? ""
        let json = #"{"update_id":1,"message":{"message_id":1,"date":0,"chat":{"id":5,"type":"\#(chatType)"},"from":{"id":\#(user),"is_bot":false,"first_name":"a"}\#(textField)\#(extra)}}"#
        return try RawUpdate(bytes: Data(json.utf8))
    }

    static let press = try! RawUpdate(bytes: Data(#"{"update_id":2,"callback_query":{"id":"q","from":{"id":7,"is_bot":false,"first_name":"a"},"chat_instance":"c","data":"vote:yes","message":{"message_id":3,"date":0,"chat":{"id":5,"type":"group"}}}}"#.utf8))

    @Test func theCases() throws {
        #expect(Filter.command("start").matches(try Self.message("/start")))
        #expect(Filter.command("start").matches(try Self.message("/start@bot x")))
        #expect(!Filter.command("start").matches(try Self.message("/starter")))
        #expect(Filter.text("Boy", "Girl").matches(try Self.message("Girl")))
        #expect(!Filter.text("Boy", "Girl").matches(try Self.message("girl")))
        #expect(Filter.text(matching: "^[0-9]+$").matches(try Self.message("42")))
        #expect(Filter.photo.matches(try Self.message(nil, extra: #","photo":[{"file_id":"f","file_unique_id":"u","width":1,"height":1}]"#)))
        #expect(!Filter.photo.matches(try Self.message("x")))
        #expect(Filter.callbackData(prefix: "vote:").matches(Self.press))
        #expect(Filter.callbackData("vote:yes").matches(Self.press))
        #expect(!Filter.callbackData("vote:no").matches(Self.press))
        #expect(Filter.chatType("group").matches(Self.press))
        #expect(Filter.chatType("private").matches(try Self.message("x")))
        #expect(Filter.users(7, 8).matches(try Self.message("x")))
        #expect(!Filter.users(8).matches(try Self.message("x")))
    }

    @Test func combinators_andTheirKinds() throws {
        let plainText = Filter.text && !Filter.command
        #expect(plainText.matches(try Self.message("hi")))
        #expect(!plainText.matches(try Self.message("/hi")))
        #expect(plainText.kinds == [.message])
        let either = Filter.callbackData() || Filter.command("x")
        #expect(either.kinds == [.message, .callbackQuery])
        #expect(try either.matches(Self.press) && either.matches(Self.message("/x")) && !either.matches(Self.message("x")))
        #expect((Filter.all || Filter.photo).kinds.isEmpty)
        #expect((!Filter.photo).matches(Self.press))
        #expect(!Filter.any(of: []).matches(Self.press))
        #expect((Filter.text && !Filter.command).label == "(text && !command)")
        #expect(try Filter.plainText.matches(Self.message("hi")) && !Filter.plainText.matches(Self.message("/hi")))
        #expect(!Filter.plainText.matches(Self.press))
    }

    @Test func aBotRoutesByFilters_inOrder() throws {
        let bot = Bot()
        bot.on(.command("a") && .chatType("group")) { _ in }
        bot.on(.command("a")) { _ in }
        bot.on(.callbackData(prefix: "vote:") && .users(7)) { _ in }
        #expect(bot.route(try Self.message("/a"), kind: .message)?.handler == 1)
        #expect(bot.route(try Self.message("/a", chatType: "group"), kind: .message)?.handler == 0)
        #expect(bot.route(Self.press, kind: .callbackQuery)?.handler == 2)
        #expect(bot.route(try Self.message("/b"), kind: .message) == nil)
    }
}
