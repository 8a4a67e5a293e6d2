import BotAPI
import Foundation

/// The filters a bot needs most, each a read or two of the update's bytes.
extension Filter {
    /// Every update.
    public static let all = Filter("all") { _ in true }

    /// Updates of these kinds.
    public static func kind(_ kinds: UpdateKind...) -> Filter {
        Filter("kind \(kinds.map(\.rawValue).sorted().joined(separator: ","))", kinds: Set(kinds)) { _ in true }
    }

    /// New messages (any content); `.kind(.editedMessage)` for edits.
    public static let message = Filter("message", kinds: [.message]) { _ in true }

    /// Any command (`/word…`).
    public static let command = Filter("command", kinds: [.message]) { $0.text(hasPrefix: "/") == true }

    /// The command `/<name>`, with or without `@botname` and arguments.
    public static func command(_ name: String) -> Filter {
        let command = name.hasPrefix("/") ? name : "/" + name
        return Filter("command \(command)", kinds: [.message]) { raw in
            // The bytes first (they agree with `hasPrefix`): most updates are not this command,
            // and need no decoded text.
            guard raw.text(hasPrefix: command) == true, let text = raw.text else { return false }
            let rest = text.dropFirst(command.count)
            return rest.isEmpty || rest.first == " " || rest.first == "@" || rest.first == "\n"
        }
    }

    /// Messages with text (commands included: `.text && !.command` for the rest).
    public static let text = Filter("text", kinds: [.message]) { $0.text(hasPrefix: "") != nil }

    /// Text messages that are not commands: `.text && !.command` with one read of the text's
    /// first bytes (the echo's route: the broker decodes no text for it).
    public static let plainText = Filter("text && !command", kinds: [.message]) { $0.text(hasPrefix: "/") == false }

    /// Messages whose text is exactly one of `choices`.
    public static func text(_ choices: String...) -> Filter {
        let set = Set(choices)
        return Filter("text in \(choices.sorted())", kinds: [.message]) { raw in raw.text.map(set.contains) ?? false }
    }

    /// Messages whose text matches a regular expression (ICU syntax). A bad pattern is a
    /// programming error, found when the bot is built.
    public static func text(matching pattern: String) -> Filter {
        let regex = UncheckedSendable(try! NSRegularExpression(pattern: pattern))
        return Filter("text ~ \(pattern)", kinds: [.message]) { raw in
            guard let text = raw.text else { return false }
            return regex.value.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
        }
    }

    /// Messages carrying `field` (`photo`, `document`, `location`, `contact`, `voice`, …).
    public static func content(_ field: String) -> Filter {
        Filter("content \(field)", kinds: [.message]) { $0.json(at: "message", field) != nil }
    }

    public static let photo = content("photo")
    public static let document = content("document")
    public static let location = content("location")
    public static let contact = content("contact")

    /// Button presses; with `prefix`, only those whose data starts with it.
    public static func callbackData(prefix: String = "") -> Filter {
        Filter("callback \(prefix.isEmpty ? "*" : prefix)", kinds: [.callbackQuery]) { raw in
            prefix.isEmpty || raw.string(at: "callback_query", "data")?.hasPrefix(prefix) == true
        }
    }

    /// Button presses whose data is exactly `data`.
    public static func callbackData(_ data: String) -> Filter {
        Filter("callback = \(data)", kinds: [.callbackQuery]) { $0.string(at: "callback_query", "data") == data }
    }

    /// Button presses whose data is a `T` (its prefix, and a format that decodes), and, with
    /// `predicate`, one it accepts: `.callback(Vote.self) { $0.choice == "yes" }`.
    public static func callback<T: CallbackData>(_ type: T.Type, where predicate: @escaping @Sendable (T) -> Bool = { _ in true }) -> Filter {
        Filter("callback \(T.prefix):", kinds: [.callbackQuery]) { raw in
            guard let data = raw.string(at: "callback_query", "data"), let value = T.unpack(data) else { return false }
            return predicate(value)
        }
    }

    /// Inline queries (`@yourbot …`).
    public static let inlineQuery = Filter("inline query", kinds: [.inlineQuery]) { _ in true }

    /// Updates in a chat of this type: `private`, `group`, `supergroup`, `channel`.
    public static func chatType(_ type: String) -> Filter {
        Filter("chat type \(type)") { raw in
            let found = raw.kind == .callbackQuery ? raw.string(at: "callback_query", "message", "chat", "type")
                                                   : raw.string(at: raw.kind.rawValue, "chat", "type")
            return found == type
        }
    }

    /// Updates sent by one of these users (access control).
    public static func users(_ ids: Int64...) -> Filter {
        let set = Set(ids)
        return Filter("users \(ids.sorted())") { raw in raw.userID.map(set.contains) ?? false }
    }

    /// Updates in one of these chats.
    public static func chats(_ ids: Int64...) -> Filter {
        let set = Set(ids)
        return Filter("chats \(ids.sorted())") { raw in raw.chatID.map(set.contains) ?? false }
    }
}
