@testable import BotAPI
import Foundation
import Testing

/// Which calls count against Telegram's flood limits, and the chat they are charged to.
@Suite("FloodTarget")
struct FloodTargetTests {
    @Test func onlyMessagePostingMethodsCount() {
        for name in ["sendMessage", "sendPhoto", "sendDocument", "sendMediaGroup", "forwardMessage", "copyMessages"] {
            #expect(FloodTarget.counts(name), "\(name)")
        }
        for name in ["sendChatAction", "editMessageText", "answerCallbackQuery", "getUpdates", "deleteMessage", "getMe"] {
            #expect(!FloodTarget.counts(name), "\(name)")
        }
    }

    @Test func chatFromJSON_numberOrUsername_anywhereAmongTheMembers() {
        let json = Data(#"{"text":"hi \"chat_id\": 5","reply_markup":{"chat_id":9},"chat_id":-1001234}"#.utf8)
        #expect(FloodTarget.of(method: "sendMessage", body: .bytes(json, contentType: "application/json")) == FloodTarget(chatID: -1001234))
        let named = FloodTarget.of(method: "sendMessage", body: .bytes(Data(#"{"chat_id":"@SomeChannel","text":"x"}"#.utf8), contentType: "application/json"))
        let again = FloodTarget.of(method: "sendMessage", body: .bytes(Data(#"{"chat_id":"@somechannel"}"#.utf8), contentType: "application/json"))
        #expect(named != nil && named == again, "a username is one stable chat, case aside")
        #expect(named?.isGroup == true)
        #expect(FloodTarget.of(method: "sendMessage", body: .bytes(Data(#"{"chat_id":"42"}"#.utf8), contentType: "application/json")) == FloodTarget(chatID: 42))
    }

    @Test func chatFromMultipart_andNothingFromWhatHasNone() {
        let fields: [HTTPRequest.MultipartField] = [.init(name: "photo", data: Data([1, 2]), filename: "a.png"), .init(name: "chat_id", data: Data("77".utf8))]
        #expect(FloodTarget.of(method: "sendPhoto", body: .multipart(fields)) == FloodTarget(chatID: 77))
        #expect(FloodTarget.of(method: "sendMessage", body: .bytes(Data(#"{"chat_id":"#.utf8), contentType: "application/json")) == nil)
        #expect(FloodTarget.of(method: "sendMessage", body: .bytes(Data("[1,2]".utf8), contentType: "application/json")) == nil)
        #expect(FloodTarget.of(method: "sendMessage", body: .none) == nil)
        #expect(FloodTarget.of(method: "getChat", body: .bytes(Data(#"{"chat_id":1}"#.utf8), contentType: "application/json")) == nil)
    }
}
