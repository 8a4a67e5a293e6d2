import BotAPI

/// An inline keyboard built button by button and laid out by `adjust` (aiogram's habit): a
/// value, so a keyboard can be kept, extended and reused.
///
/// ```swift
/// let keyboard = InlineKeyboard()
///     .button("Yes", data: "vote:yes")
///     .button("No", data: "vote:no")
///     .url("Why?", "https://example.org/why")
///     .adjust(2, 1)                       // Yes No / Why?
/// try await ctx.reply("Vote?", keyboard: keyboard)
/// ```
public struct InlineKeyboard: Sendable, Equatable {
    public private(set) var buttons: [InlineKeyboardButton] = []
    /// Row sizes; the last one repeats for the buttons left. Default: one row of all.
    public private(set) var rowSizes: [Int] = []
    /// Typed data that could not be packed: thrown by `markup()`, so the builder stays a chain.
    private var refusals: [String] = []

    public init() {}

    /// A button that sends `data` back as a callback query (1–64 bytes, Telegram's limit).
    public func button(_ text: String, data: String) -> InlineKeyboard {
        adding(InlineKeyboardButton(text: text, callbackData: data))
    }

    /// A button whose data is a typed value (`CallbackData`), packed with its prefix; one that
    /// does not fit in 64 bytes makes `markup()` throw.
    public func button(_ text: String, data: some CallbackData) -> InlineKeyboard {
        do {
            return button(text, data: try data.packed())
        } catch {
            var copy = self
            copy.refusals.append("button \"\(text)\": \(error)")
            return copy
        }
    }

    /// A button that opens `url`.
    public func url(_ text: String, _ url: String) -> InlineKeyboard {
        adding(InlineKeyboardButton(text: text, url: url))
    }

    /// A button that starts an inline query for this bot with `query`, in another chat
    /// (`currentChat: false`) or this one.
    public func switchInline(_ text: String, query: String = "", currentChat: Bool = false) -> InlineKeyboard {
        adding(currentChat ? InlineKeyboardButton(text: text, switchInlineQueryCurrentChat: query)
                           : InlineKeyboardButton(text: text, switchInlineQuery: query))
    }

    /// Any button the Bot API has (web apps, login URLs, copy text, pay).
    public func adding(_ button: InlineKeyboardButton) -> InlineKeyboard {
        var copy = self
        copy.buttons.append(button)
        return copy
    }

    /// Lays the buttons out in rows of `sizes`; the last size repeats (`adjust(2)`: pairs,
    /// `adjust(3, 1)`: three, then one per row).
    public func adjust(_ sizes: Int...) -> InlineKeyboard {
        var copy = self
        copy.rowSizes = sizes.filter { $0 > 0 }
        return copy
    }

    /// The rows, as `adjust` lays them out.
    public var rows: [[InlineKeyboardButton]] {
        KeyboardLayout.rows(of: buttons, sizes: rowSizes)
    }

    /// The markup to send; throws `KeyboardError` for what Telegram would refuse (no button, a
    /// button without an action, callback data empty or over 64 bytes).
    public func markup() throws(KeyboardError) -> ReplyMarkup {
        .inlineKeyboard(try inlineMarkup())
    }

    /// The same, as the inline-only type that edits and inline results take.
    public func inlineMarkup() throws(KeyboardError) -> InlineKeyboardMarkup {
        if let refusal = refusals.first { throw KeyboardError(refusal) }
        guard !buttons.isEmpty else { throw KeyboardError("an inline keyboard needs at least one button") }
        for b in buttons {
            if let data = b.callbackData, !(1...64).contains(data.utf8.count) {
                throw KeyboardError("callback data of \"\(b.text)\" is \(data.utf8.count) bytes; Telegram takes 1 to 64")
            }
            let actions = [b.callbackData != nil, b.url != nil, b.switchInlineQuery != nil, b.switchInlineQueryCurrentChat != nil,
                           b.webApp != nil, b.loginURL != nil, b.switchInlineQueryChosenChat != nil, b.copyText != nil,
                           b.callbackGame != nil, b.pay == true].filter { $0 }.count
            guard actions == 1 else { throw KeyboardError("button \"\(b.text)\" needs exactly one action, has \(actions)") }
        }
        return InlineKeyboardMarkup(inlineKeyboard: rows)
    }
}
