import Foundation

/// A kind read from bytes (an envelope's header on the wire): the kinds this Bot API version
/// names are matched byte for byte and shared, not made into a new string and checked.
extension UpdateKind {
    /// Every kind named above, as the bytes that name it. `.message` first: most updates are.
    private static let known: [(utf8: [UInt8], kind: UpdateKind)] = [
        message, editedMessage, channelPost, editedChannelPost, businessConnection, businessMessage,
        editedBusinessMessage, deletedBusinessMessages, guestMessage, messageReaction, messageReactionCount,
        inlineQuery, chosenInlineResult, callbackQuery, shippingQuery, preCheckoutQuery, purchasedPaidMedia,
        poll, pollAnswer, myChatMember, chatMember, chatJoinRequest, chatBoost, removedChatBoost, managedBot,
    ].map { (Array($0.rawValue.utf8), $0) }

    /// The kind these UTF-8 bytes name; nil if they are not UTF-8. `String(validating:)` runs
    /// the runtime's generic validation, ~970 instructions for `message`, once per update in
    /// the broker and again in the worker that runs it (`scripts/bench instructions`); a known
    /// kind costs a comparison of a few bytes. Any other (a newer Bot API's) is validated.
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        for entry in Self.known where entry.utf8.count == bytes.count {
            // memcmp: `elementsEqual` walked both by iterator, ~220 instructions for `message`.
            guard entry.utf8.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) else { continue }
            self = entry.kind
            return
        }
        guard let name = String(validating: bytes, as: UTF8.self) else { return nil }
        self.init(rawValue: name)
    }
}
