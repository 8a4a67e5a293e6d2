import BotAPI

extension SimState {
    /// Routes a call (method name lower-cased) to its implementation.
    ///
    /// The methods tgcluster's emulator implements are listed here; any other method of the spec
    /// answers `true` if its result is a Boolean (after checking nothing: it has no effect), and
    /// `400 Bad Request: method is not emulated by tgcluster sim` otherwise; a name outside the
    /// spec gets Telegram's `404 Not Found: method not found`.
    mutating func dispatch(method: String, params p: BotParams, token: String) throws(APIError) -> APIResult {
        switch method {
        case "getme": return getMe(token: token)
        case "sendmessage": return try sendMessage(p, token: token)
        case "editmessagetext": return try editMessageText(p, token: token)
        case "deletemessage": return try deleteMessage(p)
        case "forwardmessage": return try forwardMessage(p, token: token)
        case "copymessage": return try copyMessage(p, token: token)
        case "sendphoto": return try sendPhoto(p, token: token)
        case "senddocument": return try sendDocument(p, token: token)
        case "getfile": return try getFile(p)
        case "sendchataction": return try sendChatAction(p)
        case "answercallbackquery": return try answerCallbackQuery(p)
        case "answerinlinequery": return try answerInlineQuery(p)
        case "getchat": return try getChat(p)
        case "getchatmember": return try getChatMember(p, token: token)
        case "setmycommands": return try setMyCommands(p)
        case "getmycommands": return getMyCommands(p)
        case "deletemycommands": return deleteMyCommands(p)
        case "setwebhook": return try setWebhook(p, token: token)
        case "deletewebhook": return deleteWebhook(p)
        case "getwebhookinfo": return getWebhookInfo()
        case "logout", "close": return .ok("true")
        default:
            guard let name = Emulator.canonicalNames[method] else { throw APIError(404, "Not Found: method not found") }
            if BotAPISpec.methodResults[name] == "Bool" { return .ok("true") }
            throw .badRequest("method is not emulated by tgcluster sim")
        }
    }
}
