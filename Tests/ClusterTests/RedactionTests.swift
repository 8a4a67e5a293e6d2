import ClusterRuntime
import Foundation
import Testing

@Suite("Redaction")
struct RedactionTests {
    static var update: [String: Any] { ["update_id": 5, "message": [
        "message_id": 1, "text": "/transaction 10 42", "entities": [["type": "bot_command", "offset": 0, "length": 12]],
        "from": ["id": 42, "first_name": "Ada", "last_name": "Lovelace", "username": "ada"],
        "chat": ["id": 42, "type": "private", "first_name": "Ada", "username": "ada"],
        "reply_to_message": ["message_id": 0, "text": "secret plans", "from": ["id": 7, "first_name": "Bob"]],
    ] as [String: Any]] }

    @Test func namesUsernamesAndTexts_areReplacedStably_commandsKeepTheirName() throws {
        let a = try #require(Redaction.apply(Self.update) as? [String: Any])
        let b = try #require(Redaction.apply(Self.update) as? [String: Any])
        let json = String(decoding: try JSONSerialization.data(withJSONObject: a, options: [.sortedKeys]), as: UTF8.self)
        #expect(json == String(decoding: try JSONSerialization.data(withJSONObject: b, options: [.sortedKeys]), as: UTF8.self), "stable")
        for secret in ["Ada", "Lovelace", "\"ada\"", "secret plans", "Bob"] { #expect(!json.contains(secret), "\(secret) leaked") }
        let message = try #require(a["message"] as? [String: Any])
        #expect((message["text"] as? String)?.hasPrefix("/transaction text_") == true)
        #expect(message["entities"] == nil, "entities point into the old text")
        let from = try #require(message["from"] as? [String: Any]), chat = try #require(message["chat"] as? [String: Any])
        #expect(from["id"] as? Int == 42 && from["first_name"] as? String == chat["first_name"] as? String, "ids kept, the same name maps alike")
    }
}
