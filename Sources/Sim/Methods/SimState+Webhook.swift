import BotAPI
import Foundation

/// setWebhook, deleteWebhook, getWebhookInfo (delivery itself is `WebhookDelivery`).
extension SimState {
    mutating func setWebhook(_ p: BotParams, token: String) throws(APIError) -> APIResult {
        let url = p.string("url") ?? ""
        if url.isEmpty { return deleteWebhook(p) }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
              parsed.host != nil else {
            throw .badRequest("invalid webhook URL specified")
        }
        let secret = p.string("secret_token").flatMap { $0.isEmpty ? nil : $0 }
        if let secret {
            guard secret.count <= 256 else { throw .badRequest("secret token is too long") }
            guard secret.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                throw .badRequest("secret token contains unallowed characters")
            }
        }
        let max = min(100, Swift.max(1, try p.int("max_connections") ?? 40))
        let allowed = try p.decode([String].self, "allowed_updates")
        if p.bool("drop_pending_updates") { updates.removeAll() }
        applyAllowed(allowed)
        let new = Webhook(url: url, secret: secret, maxConnections: max, allowedUpdates: allowed ?? webhook?.allowedUpdates, token: token)
        if new == webhook { return .ok("true", description: "Webhook is already set") }
        webhook = new
        lastWebhookError = nil
        return .ok("true", description: "Webhook was set")
    }

    mutating func deleteWebhook(_ p: BotParams) -> APIResult {
        if p.bool("drop_pending_updates") { updates.removeAll() }
        guard webhook != nil else { return .ok("true", description: "Webhook is already deleted") }
        webhook = nil
        return .ok("true", description: "Webhook was deleted")
    }

    func getWebhookInfo() -> APIResult {
        var s = #"{"url":\#(JSONText.quoted(webhook?.url ?? "")),"has_custom_certificate":false,"pending_update_count":\#(updates.count)"#
        if let webhook {
            s += #","max_connections":\#(webhook.maxConnections),"ip_address":"127.0.0.1""#
            if let allowed = webhook.allowedUpdates { s += #","allowed_updates":\#(JSONText.encode(allowed))"# }
        }
        if let e = lastWebhookError {
            s += #","last_error_date":\#(e.date),"last_error_message":\#(JSONText.quoted(e.message))"#
        }
        return .ok(s + "}")
    }

    /// `allowed_updates` as Telegram reads it: names case-insensitive, unknown ones ignored,
    /// an empty list (or one with no known name) meaning the default.
    mutating func applyAllowed(_ list: [String]?) {
        guard let list else { return }
        let known = Set(BotAPISpec.updateKinds)
        let names = Set(list.map { $0.lowercased() }.filter(known.contains))
        updates.allowed = names.isEmpty ? nil : names
    }
}
