import BotAPI
import Foundation
import Testing
import TGBot

/// Keyboards as values: layout by `adjust`, Telegram's limits said before sending.
@Suite("Keyboards")
struct KeyboardTests {
    @Test func adjust_laysOutRows_theLastSizeRepeating() throws {
        let k = InlineKeyboard().button("1", data: "a").button("2", data: "b").button("3", data: "c")
            .button("4", data: "d").button("5", data: "e")
        #expect(k.rows.map { $0.map(\.text) } == [["1", "2", "3", "4", "5"]])
        #expect(k.adjust(2).rows.map { $0.map(\.text) } == [["1", "2"], ["3", "4"], ["5"]])
        #expect(k.adjust(3, 1).rows.map { $0.map(\.text) } == [["1", "2", "3"], ["4"], ["5"]])
    }

    @Test func theMarkup_isTheBotAPIs_andLimitsAreCheckedBeforeSending() throws {
        let k = InlineKeyboard().button("Yes", data: "vote:yes").url("Why?", "https://example.org").adjust(1)
        let json = String(decoding: try JSONEncoder().encode(try k.markup()), as: UTF8.self)
        #expect(json.contains(#""inline_keyboard":[[{"#) && json.contains(#""callback_data":"vote:yes""#))
        #expect(throws: KeyboardError.self) { try InlineKeyboard().markup() }
        #expect(throws: KeyboardError.self) { try InlineKeyboard().button("long", data: String(repeating: "x", count: 65)).markup() }
        #expect(throws: KeyboardError.self) { try InlineKeyboard().button("empty", data: "").markup() }
        #expect(throws: KeyboardError.self) { try InlineKeyboard().adding(InlineKeyboardButton(text: "no action")).markup() }
        _ = try InlineKeyboard().button("edge", data: String(repeating: "x", count: 64)).markup()
    }

    @Test func replyKeyboards_andRemovingOne() throws {
        let k = ReplyKeyboard(["Boy", "Girl", "Other"]).adjust(2).oneTime().placeholder("Pick one")
        guard case .keyboard(let markup) = try k.markup() else { Issue.record("not a reply keyboard"); return }
        #expect(markup.keyboard.map { $0.map(\.text) } == [["Boy", "Girl"], ["Other"]])
        #expect(markup.oneTimeKeyboard == true && markup.resizeKeyboard == true && markup.inputFieldPlaceholder == "Pick one")
        guard case .remove(let remove) = try ReplyKeyboard.remove.markup() else { Issue.record("not a removal"); return }
        #expect(remove.removeKeyboard)
        #expect(throws: KeyboardError.self) { try ReplyKeyboard().markup() }
    }
}
