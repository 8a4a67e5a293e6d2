import BotAPI
import Foundation

/// Small helpers for writing JSON by hand on the emulator's hot paths (a `sendMessage` answer
/// is built as text, not through `JSONEncoder`, so the emulator is never a benchmark's limit).
enum JSONText {
    static func quoted(_ s: String) -> String { JSONFields.quoted(s) }

    /// `value` encoded with `JSONEncoder` (for the rarer, richer answers).
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    /// Whether `text` parses as JSON.
    static func isValid(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }

    /// `{"ok":true,"result":<result>}` (with a description when Telegram sends one).
    static func ok(_ result: String, description: String? = nil) -> String {
        if let description { return #"{"ok":true,"result":\#(result),"description":\#(quoted(description))}"# }
        return #"{"ok":true,"result":\#(result)}"#
    }
}
