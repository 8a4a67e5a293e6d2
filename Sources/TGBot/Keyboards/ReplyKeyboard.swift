import BotAPI

/// A reply keyboard (the buttons under the input field), built and laid out as `InlineKeyboard`.
///
/// ```swift
/// let keyboard = ReplyKeyboard(["Boy", "Girl", "Other"]).adjust(3).oneTime()
/// try await ctx.reply("Are you a boy or a girl?", keyboard: keyboard)
/// try await ctx.reply("Bye", keyboard: .remove)
/// ```
public struct ReplyKeyboard: Sendable, Equatable {
    public private(set) var buttons: [KeyboardButton] = []
    public private(set) var rowSizes: [Int] = []
    public private(set) var isOneTime = false
    public private(set) var placeholder: String?
    /// Removes the keyboard the user has (`ReplyKeyboardRemove`).
    public private(set) var removes = false

    public init(_ texts: [String] = []) {
        buttons = texts.map { KeyboardButton(text: $0) }
    }

    /// Removes the user's reply keyboard.
    public static let remove: ReplyKeyboard = {
        var k = ReplyKeyboard()
        k.removes = true
        return k
    }()

    public func button(_ text: String) -> ReplyKeyboard { adding(KeyboardButton(text: text)) }

    /// Any button the Bot API has (contact, location, poll, users, chat, web app).
    public func adding(_ button: KeyboardButton) -> ReplyKeyboard {
        var copy = self
        copy.buttons.append(button)
        return copy
    }

    public func adjust(_ sizes: Int...) -> ReplyKeyboard {
        var copy = self
        copy.rowSizes = sizes.filter { $0 > 0 }
        return copy
    }

    /// Hidden once a button is pressed.
    public func oneTime(_ yes: Bool = true) -> ReplyKeyboard {
        var copy = self
        copy.isOneTime = yes
        return copy
    }

    /// The input field's placeholder while the keyboard shows (1–64 characters).
    public func placeholder(_ text: String) -> ReplyKeyboard {
        var copy = self
        copy.placeholder = text
        return copy
    }

    public var rows: [[KeyboardButton]] { KeyboardLayout.rows(of: buttons, sizes: rowSizes) }

    public func markup() throws(KeyboardError) -> ReplyMarkup {
        if removes { return .remove(ReplyKeyboardRemove(removeKeyboard: true)) }
        guard !buttons.isEmpty else { throw KeyboardError("a reply keyboard needs at least one button (or use .remove)") }
        if let placeholder, !(1...64).contains(placeholder.count) {
            throw KeyboardError("the placeholder is \(placeholder.count) characters; Telegram takes 1 to 64")
        }
        return .keyboard(ReplyKeyboardMarkup(keyboard: rows, resizeKeyboard: true, oneTimeKeyboard: isOneTime ? true : nil,
                                             inputFieldPlaceholder: placeholder))
    }
}
