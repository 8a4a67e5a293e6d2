import BotAPI
import Foundation

/// getMe, getChat, getChatMember, commands, callback and inline query answers.
extension SimState {
    func getMe(token: String) -> APIResult {
        let id = Self.botID(token: token)
        return .ok(#"{"id":\#(id),"is_bot":true,"first_name":"Sim Bot","username":"tgcluster_sim_bot","can_join_groups":true,"can_read_all_group_messages":false,"supports_inline_queries":true,"can_connect_to_business":false,"has_main_web_app":false}"#)
    }

    func getChat(_ p: BotParams) throws(APIError) -> APIResult {
        let chat = try chatParameter(p)
        // ChatFullInfo = the Chat object plus its required extras.
        let extras = #""accent_color_id":0,"max_reaction_count":11,"accepted_gift_types":{"unlimited_gifts":true,"limited_gifts":true,"unique_gifts":true,"premium_subscription":true,"gifts_from_channels":true}"#
        return .ok(String(chat.json.dropLast()) + "," + extras + "}")
    }

    func getChatMember(_ p: BotParams, token: String) throws(APIError) -> APIResult {
        let chat = try chatParameter(p)
        guard let userID = try p.int64("user_id") else { throw .badRequest("user_id is empty") }
        if userID == Self.botID(token: token) {
            return .ok(#"{"status":"administrator","user":\#(Self.botJSON(token: token)),"can_be_edited":false,"is_anonymous":false,"can_manage_chat":true,"can_delete_messages":true,"can_manage_video_chats":true,"can_restrict_members":true,"can_promote_members":false,"can_change_info":true,"can_invite_users":true,"can_post_stories":false,"can_edit_stories":false,"can_delete_stories":false}"#)
        }
        guard let user = users[userID] else { throw .badRequest("user not found") }
        if chat.type == "private", chat.id != userID { throw .badRequest("user not found") }
        return .ok(#"{"status":"member","user":\#(user)}"#)
    }

    mutating func setMyCommands(_ p: BotParams) throws(APIError) -> APIResult {
        let list = try p.decode([BotCommand].self, "commands") ?? []
        guard list.count <= 100 else { throw .badRequest("too many commands specified") }
        for c in list {
            guard (1...32).contains(c.command.count), c.command.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "_" }) else {
                throw .badRequest("BOT_COMMAND_INVALID")
            }
            guard (1...256).contains(c.description.count) else { throw .badRequest("BOT_COMMAND_DESCRIPTION_INVALID") }
        }
        commands[commandsKey(p)] = JSONText.encode(list)
        return .ok("true")
    }

    func getMyCommands(_ p: BotParams) -> APIResult {
        .ok(commands[commandsKey(p)] ?? "[]")
    }

    mutating func deleteMyCommands(_ p: BotParams) -> APIResult {
        commands[commandsKey(p)] = nil
        return .ok("true")
    }

    mutating func answerCallbackQuery(_ p: BotParams) throws(APIError) -> APIResult {
        guard let id = p.string("callback_query_id"), callbackQueries.remove(id) != nil else {
            throw .badRequest("query is too old and response timeout expired or query ID is invalid")
        }
        if let text = p.string("text"), text.count > 200 { throw .badRequest("MESSAGE_TOO_LONG") }
        return .ok("true")
    }

    mutating func answerInlineQuery(_ p: BotParams) throws(APIError) -> APIResult {
        guard let id = p.string("inline_query_id"), inlineQueries.contains(id) else {
            throw .badRequest("query is too old and response timeout expired or query ID is invalid")
        }
        guard let text = try p.jsonText("results"),
              let results = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw .badRequest("can't parse inline query results JSON object")
        }
        guard results.count <= 50 else { throw .badRequest("RESULTS_TOO_MUCH") }
        var seen = Set<String>()
        for result in results {
            guard let rid = result["id"] as? String, (1...64).contains(rid.utf8.count) else { throw .badRequest("RESULT_ID_INVALID") }
            guard seen.insert(rid).inserted else { throw .badRequest("RESULT_ID_DUPLICATE") }
            guard result["type"] is String else { throw .badRequest("can't parse inline query result type") }
        }
        if let offset = p.string("next_offset"), offset.utf8.count > 64 { throw .badRequest("NEXT_OFFSET_INVALID") }
        inlineQueries.remove(id)
        return .ok("true")
    }

    private func chatParameter(_ p: BotParams) throws(APIError) -> ChatRecord {
        guard let raw = p.string("chat_id"), !raw.isEmpty else { throw .badRequest("chat_id is empty") }
        if let id = Int64(raw) { return try chat(id) }
        if let found = chats.values.first(where: { $0.username.map { "@" + $0 } == raw }) { return found }
        throw .chatNotFound
    }

    private func commandsKey(_ p: BotParams) -> String {
        (p.string("scope") ?? #"{"type":"default"}"#) + "|" + (p.string("language_code") ?? "")
    }
}
