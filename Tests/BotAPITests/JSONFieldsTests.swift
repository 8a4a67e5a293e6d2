import BotAPI
import Foundation
import Testing

/// The hand-written JSON of the hot paths (a reply's body) reads back as the text it was made
/// from, whatever the text holds.
@Suite("JSONFields")
struct JSONFieldsTests {
    static let texts = [
        "", "plain", "quote \" and backslash \\ and slash /", "line\nbreak\r\ttab", "\u{1}\u{8}\u{c}\u{1f}\u{7f}",
        "ünï cödé 😀 and \u{2028}", String(repeating: "long text ", count: 500) + "\"",
    ]

    @Test(arguments: texts)
    func aQuotedText_readsBackAsItself(_ text: String) throws {
        let quoted = JSONFields.quoted(text)
        #expect(try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: [.fragmentsAllowed]) as? String == text)
        var appended = Data("[".utf8)
        JSONFields.appendQuoted(text, to: &appended)
        #expect(appended.dropFirst() == Data(quoted.utf8), "appendQuoted writes what quoted returns")
        #expect(!quoted.unicodeScalars.contains { $0.value < 0x20 }, "no raw control character")
    }

    @Test func controlCharacters_haveTheirShortOrHexEscapes() {
        #expect(JSONFields.quoted("a\"b\\c\nd\u{1}e\u{1f}") == #""a\"b\\c\nd\u0001e\u001f""#)
    }
}
