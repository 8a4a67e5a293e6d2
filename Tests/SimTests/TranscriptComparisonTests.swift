import Foundation
import Sim
import Testing

@Suite("TranscriptComparison")
struct TranscriptComparisonTests {
    static func call(_ chat: Int, _ text: String, messageID: Int = 1) -> [String: Any] {
        ["method": "sendMessage", "ok": true, "time": Double(messageID), "params": ["chat_id": chat, "text": text, "reply_to_message_id": messageID]]
    }

    @Test func sameCallsPerChat_inAnotherInterleaving_withOtherIDsAndTimes_agree() {
        let expected = [Self.call(1, "a"), Self.call(2, "x"), Self.call(1, "b")]
        let actual = [Self.call(2, "x", messageID: 9), Self.call(1, "a", messageID: 7), Self.call(1, "b", messageID: 8)]
        #expect(TranscriptComparison.differences(expected: expected, actual: actual).isEmpty)
    }

    @Test func aChangedText_anOrderSwapAndAMissingCall_areShownPerChat() {
        let expected = [Self.call(1, "a"), Self.call(1, "b"), Self.call(2, "x"), Self.call(3, "only")]
        let actual = [Self.call(1, "b"), Self.call(1, "a"), Self.call(2, "y")]
        let diff = TranscriptComparison.differences(expected: expected, actual: actual)
        let text = diff.joined(separator: "\n")
        #expect(text.contains("chat 1: 2 calls expected, 2 made; first difference at call 1"))
        #expect(text.contains(#"- {"method":"sendMessage","ok":true,"params":{"chat_id":2,"text":"x"}}"#))
        #expect(text.contains(#"+ {"method":"sendMessage","ok":true,"params":{"chat_id":2,"text":"y"}}"#))
        #expect(text.contains("chat 3: 1 calls expected, 0 made"))
    }
}
