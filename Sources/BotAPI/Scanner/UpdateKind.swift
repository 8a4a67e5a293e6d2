/// Which optional field of `Update` an update carries (`message`, `callback_query`, ...).
///
/// A struct, not an enum, so that a kind from a newer Bot API is just another value.
public struct UpdateKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// Whether updates of this kind carry a `Message` (the Bot API's `Update` fields of that
    /// type), whose text the router's text filters read.
    package var carriesMessage: Bool {
        switch self {
        case .message, .editedMessage, .channelPost, .editedChannelPost, .businessMessage, .editedBusinessMessage, .guestMessage: true
        default: false
        }
    }

    public static let unknown = UpdateKind(rawValue: "")
    public static let message = UpdateKind(rawValue: "message")
    public static let editedMessage = UpdateKind(rawValue: "edited_message")
    public static let channelPost = UpdateKind(rawValue: "channel_post")
    public static let editedChannelPost = UpdateKind(rawValue: "edited_channel_post")
    public static let businessConnection = UpdateKind(rawValue: "business_connection")
    public static let businessMessage = UpdateKind(rawValue: "business_message")
    public static let editedBusinessMessage = UpdateKind(rawValue: "edited_business_message")
    public static let deletedBusinessMessages = UpdateKind(rawValue: "deleted_business_messages")
    public static let guestMessage = UpdateKind(rawValue: "guest_message")
    public static let messageReaction = UpdateKind(rawValue: "message_reaction")
    public static let messageReactionCount = UpdateKind(rawValue: "message_reaction_count")
    public static let inlineQuery = UpdateKind(rawValue: "inline_query")
    public static let chosenInlineResult = UpdateKind(rawValue: "chosen_inline_result")
    public static let callbackQuery = UpdateKind(rawValue: "callback_query")
    public static let shippingQuery = UpdateKind(rawValue: "shipping_query")
    public static let preCheckoutQuery = UpdateKind(rawValue: "pre_checkout_query")
    public static let purchasedPaidMedia = UpdateKind(rawValue: "purchased_paid_media")
    public static let poll = UpdateKind(rawValue: "poll")
    public static let pollAnswer = UpdateKind(rawValue: "poll_answer")
    public static let myChatMember = UpdateKind(rawValue: "my_chat_member")
    public static let chatMember = UpdateKind(rawValue: "chat_member")
    public static let chatJoinRequest = UpdateKind(rawValue: "chat_join_request")
    public static let chatBoost = UpdateKind(rawValue: "chat_boost")
    public static let removedChatBoost = UpdateKind(rawValue: "removed_chat_boost")
    public static let managedBot = UpdateKind(rawValue: "managed_bot")
}
