/// A button's data as a typed value (aiogram's `CallbackData` factory): a `Codable` struct of
/// plain fields, packed into Telegram's 64 bytes as `prefix:value:value…` and decoded again
/// when the button is pressed.
///
/// ```swift
/// struct Vote: CallbackData {
///     static let prefix = "vote"
///     var poll: Int
///     var choice: String
/// }
/// let keyboard = InlineKeyboard().button("Yes", data: Vote(poll: 3, choice: "yes")).button("No", data: Vote(poll: 3, choice: "no"))
/// try await ctx.reply("Vote?", keyboard: keyboard)
/// bot.onCallback(Vote.self) { ctx, vote in try await ctx.answer("You chose \(vote.choice)") }
/// ```
///
/// Fields are packed by position, in declaration order (the synthesized `Codable` order):
/// strings (`:` and `%` escaped), integers, `Bool` (`1`/`0`), `Double`, enums with such raw
/// values, and optionals of these (nil is empty, so an optional string cannot tell empty from
/// nil). Nested structs and arrays are refused. A value whose packing passes 64 bytes is a
/// `CallbackDataError` when the keyboard is built (`markup()`), before anything is sent.
/// Changing the fields changes the format: old buttons then fail to decode and their presses
/// go to the handlers after (or to none).
public protocol CallbackData: Codable, Sendable {
    /// What sets this type's buttons apart from every other's (no `:`).
    static var prefix: String { get }
}

extension CallbackData {
    /// The packed form, as it goes into `callback_data`.
    public func packed() throws(CallbackDataError) -> String {
        let encoder = CallbackDataEncoder()
        do {
            try encode(to: encoder)
        } catch {
            throw CallbackDataError("\(Self.self) cannot be callback data: \(error)")
        }
        let packed = ([Self.prefix] + encoder.fields.values).joined(separator: ":")
        guard packed.utf8.count <= 64 else {
            throw CallbackDataError("\(Self.self) packs to \(packed.utf8.count) bytes (\"\(packed)\"); Telegram takes at most 64")
        }
        return packed
    }

    /// The value packed in `data`; nil when `data` is not this type's (another prefix, or a
    /// format that no longer fits the fields).
    public static func unpack(_ data: String) -> Self? {
        var parts = data.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.first == prefix else { return nil }
        parts.removeFirst()
        let decoder = CallbackDataDecoder(values: parts.map(CallbackDataEncoder.unescape))
        guard let value = try? Self(from: decoder), decoder.fields.isAtEnd else { return nil }
        return value
    }
}

/// Callback data that cannot be packed.
public struct CallbackDataError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
