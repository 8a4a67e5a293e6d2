/// The spec's `reply_markup` union: an inline keyboard, a custom keyboard, a keyboard removal
/// or a forced reply. Members are told apart by their one required key.
public enum ReplyMarkup: Codable, Sendable, Equatable {
    case inlineKeyboard(InlineKeyboardMarkup)
    case keyboard(ReplyKeyboardMarkup)
    case remove(ReplyKeyboardRemove)
    case forceReply(ForceReply)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKey.self)
        if c.contains(JSONKey("inline_keyboard")) {
            self = .inlineKeyboard(try InlineKeyboardMarkup(from: decoder))
        } else if c.contains(JSONKey("keyboard")) {
            self = .keyboard(try ReplyKeyboardMarkup(from: decoder))
        } else if c.contains(JSONKey("remove_keyboard")) {
            self = .remove(try ReplyKeyboardRemove(from: decoder))
        } else if c.contains(JSONKey("force_reply")) {
            self = .forceReply(try ForceReply(from: decoder))
        } else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "reply_markup has none of inline_keyboard, keyboard, remove_keyboard, force_reply"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .inlineKeyboard(let v): try v.encode(to: encoder)
        case .keyboard(let v): try v.encode(to: encoder)
        case .remove(let v): try v.encode(to: encoder)
        case .forceReply(let v): try v.encode(to: encoder)
        }
    }
}
