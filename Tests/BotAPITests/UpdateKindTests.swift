import Testing
@testable import BotAPI

@Suite("UpdateKind from bytes")
struct UpdateKindTests {
    private func kind(_ bytes: [UInt8]) -> UpdateKind? {
        bytes.withUnsafeBufferPointer { UpdateKind(utf8: $0) }
    }

    @Test func everyNamedKind_isReadAsItself() {
        let named: [UpdateKind] = [
            .message, .editedMessage, .channelPost, .editedChannelPost, .businessConnection, .businessMessage,
            .editedBusinessMessage, .deletedBusinessMessages, .guestMessage, .messageReaction, .messageReactionCount,
            .inlineQuery, .chosenInlineResult, .callbackQuery, .shippingQuery, .preCheckoutQuery, .purchasedPaidMedia,
            .poll, .pollAnswer, .myChatMember, .chatMember, .chatJoinRequest, .chatBoost, .removedChatBoost, .managedBot,
        ]
        for k in named { #expect(kind(Array(k.rawValue.utf8)) == k) }
    }

    /// Prefixes and near names of known kinds are other kinds, not the known one.
    @Test func nearNames_areTheirOwnKinds() {
        #expect(kind(Array("messag".utf8)) == UpdateKind(rawValue: "messag"))
        #expect(kind(Array("messages".utf8)) == UpdateKind(rawValue: "messages"))
        #expect(kind(Array("Message".utf8)) == UpdateKind(rawValue: "Message"))
        #expect(kind(Array("poll_answes".utf8)) == UpdateKind(rawValue: "poll_answes"))
    }

    /// A newer Bot API's kind passes through; the empty name is `.unknown`.
    @Test func otherKinds_passThrough() {
        #expect(kind(Array("story_reaction".utf8))?.rawValue == "story_reaction")
        #expect(kind(Array("сообщение".utf8))?.rawValue == "сообщение")
        #expect(kind([]) == .unknown)
    }

    @Test func bytesThatAreNotUTF8_areNoKind() {
        #expect(kind([0x6d, 0xff, 0x67]) == nil)
        #expect(kind([0xc3]) == nil)
    }
}
