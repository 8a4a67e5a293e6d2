extension String {
    /// The text with `&`, `<`, `>`, `"` and `'` escaped, for a message sent with parse mode
    /// `HTML` (Telegram refuses a message whose text is not well-formed HTML there).
    public var htmlEscaped: String {
        var out = ""
        out.reserveCapacity(utf8.count)
        for c in self {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#x27;"
            default: out.append(c)
            }
        }
        return out
    }
}
