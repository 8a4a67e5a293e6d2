import Locking
import BotAPI
import Foundation

/// The tester's side of the emulator (`/sim/...`): inject updates, read the transcript and
/// stats, reset, block chats.
extension Emulator {
    /// Keeps `data` as a file a user sent (a photo, a document), so that an injected message
    /// can carry its ids and the bot can `getFile` and download it. Its `file_id` and
    /// `file_unique_id`.
    public func userFile(_ data: Data, folder: String = "photos", extension ext: String = "jpg") -> (fileID: String, uniqueID: String) {
        let record = state.locked { $0.register(data, folder: folder, extension: ext) }
        return (record.fileID, record.uniqueID)
    }

    /// `{"updates":[Update...]}` (an `update_id` is assigned where missing) or
    /// `{"generate":{"messages":N,"chats":K,"kind":"text|command|callback|inline|mixed","seed":S}}`.
    /// Returns the ids of the updates queued.
    public func inject(_ body: Data) throws(APIError) -> [Int64] {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else {
            throw .badRequest("expected a JSON object with \"updates\" or \"generate\"")
        }
        var updates: [[String: Any]]
        if let list = object["updates"] as? [Any] {
            updates = try list.map { item throws(APIError) -> [String: Any] in
                guard let update = item as? [String: Any] else { throw .badRequest("each update must be an object") }
                return update
            }
        } else if let spec = object["generate"] as? [String: Any] {
            updates = try generate(spec)
        } else {
            throw .badRequest("expected a JSON object with \"updates\" or \"generate\"")
        }
        // Ids are reserved under the lock; the JSON work happens outside it, so Bot API calls
        // are not held up by a large injection.
        let missing = updates.filter { $0["update_id"] == nil }.count
        var nextID = state.locked { s -> Int64 in
            let first = s.updates.nextID
            for _ in 0..<missing { _ = s.updates.takeID() }
            return first
        }
        // Messages without a `message_id` get the chat's next one, as Telegram would give them.
        state.locked { s in
            for i in updates.indices { Self.numberMessages(&updates[i], state: &s) }
        }
        var prepared: [(update: [String: Any], entry: UpdateQueue.Entry)] = []
        prepared.reserveCapacity(updates.count)
        for var update in updates {
            if update["update_id"] == nil {
                update["update_id"] = nextID
                nextID += 1
            }
            guard let data = Self.serialize(update) else { throw .badRequest("an update could not be serialized") }
            let scanned: ScannedUpdate
            do {
                scanned = try UpdateScanner.scanUpdate(data)
            } catch {
                throw .badRequest("not an update: \(error)")
            }
            prepared.append((update, UpdateQueue.Entry(id: scanned.updateID, kind: scanned.kind, key: scanned.routingKey, bytes: data)))
        }
        let ids = state.locked { s -> [Int64] in
            for (update, entry) in prepared {
                s.learn(from: update, kind: entry.kind)
                s.updates.push(entry)
                s.stats.updatesInjected += 1
            }
            return prepared.map(\.entry.id)
        }
        updatesArrived()
        return ids
    }

    /// An update as Telegram writes it: `update_id` first.
    /// The message kinds whose object may lack a `message_id` when a test writes it by hand.
    static let messageKinds = ["message", "edited_message", "channel_post", "edited_channel_post", "business_message"]

    /// Gives each message of `update` without a `message_id` its chat's next one.
    static func numberMessages(_ update: inout [String: Any], state s: inout SimState) {
        func number(_ message: inout [String: Any]) {
            guard message["message_id"] == nil, let chat = message["chat"] as? [String: Any],
                  let chatID = (chat["id"] as? NSNumber)?.int64Value else { return }
            message["message_id"] = s.takeMessageID(chat: chatID)
            if message["date"] == nil { message["date"] = SimState.now }
        }
        for key in messageKinds {
            guard var message = update[key] as? [String: Any] else { continue }
            number(&message)
            update[key] = message
        }
        if var query = update["callback_query"] as? [String: Any], var message = query["message"] as? [String: Any] {
            number(&message)
            query["message"] = message
            update["callback_query"] = query
        }
    }

    static func serialize(_ update: [String: Any]) -> Data? {
        guard let id = (update["update_id"] as? NSNumber)?.int64Value else {
            return try? JSONSerialization.data(withJSONObject: update, options: [.withoutEscapingSlashes])
        }
        var rest = update
        rest["update_id"] = nil
        guard let body = try? JSONSerialization.data(withJSONObject: rest, options: [.withoutEscapingSlashes, .sortedKeys]) else { return nil }
        var out = Data(#"{"update_id":\#(id)"#.utf8)
        if body.count > 2 { out.append(UInt8(ascii: ",")) }
        out.append(body.dropFirst())
        return out
    }

    private func generate(_ spec: [String: Any]) throws(APIError) -> [[String: Any]] {
        let count = (spec["messages"] as? Int) ?? 1
        let chats = max(1, (spec["chats"] as? Int) ?? 1)
        let kind = (spec["kind"] as? String) ?? "text"
        guard (0...1_000_000).contains(count) else { throw .badRequest("messages must be 0...1000000") }
        var factory = UpdateFactory(seed: UInt64((spec["seed"] as? Int) ?? 1))
        factory.date = SimState.now
        let firstChat = Int64((spec["first_chat_id"] as? Int) ?? 100_000)
        var out: [[String: Any]] = []
        out.reserveCapacity(count)
        var perChat = [Int](repeating: 0, count: chats)
        for i in 0..<count {
            let c = i % chats
            perChat[c] += 1
            let chatID = firstChat + Int64(c)
            var update: [String: Any]
            switch kind {
            case "text": update = factory.textMessageUpdate(chatID: chatID, text: "message \(perChat[c]) to chat \(chatID)")
            case "command": update = factory.textMessageUpdate(chatID: chatID, text: "/start \(perChat[c])")
            case "callback": update = factory.callbackQueryUpdate(chatID: chatID, data: "button:\(perChat[c])")
            case "inline": update = factory.inlineQueryUpdate(userID: chatID, query: "query \(perChat[c])")
            case "mixed": update = factory.randomUpdate()
            default: throw .badRequest("unknown kind \(kind): use text, command, callback, inline or mixed")
            }
            update["update_id"] = nil
            out.append(update)
        }
        return out
    }

    /// Takes the queued updates out of the queue, as getUpdates would answer them (raw
    /// bytes, oldest first), for a tester that runs a bot's handlers in its own process.
    package func takeUpdates() -> [Data] {
        state.locked { s in
            let taken = s.updates.entries.map(\.bytes)
            s.updates.removeAll()
            return taken
        }
    }

    /// `{"calls":[...]}`, Bot API calls in arrival order (getUpdates and getWebhookInfo only
    /// with `all`), from the `since`-th on.
    public func transcript(since: Int = 0) -> Data {
        let entries = state.locked { s in Array(s.transcript.dropFirst(max(0, since))) }
        var out = Data(#"{"calls":["#.utf8)
        for (i, e) in entries.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: e.utf8)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    public func statsJSON() -> Data {
        let s = state.locked { s in
            (s.stats, s.updates.count, s.updates.filtered, s.webhook?.url, s.transcript.count, s.chats.count)
        }
        let (stats, pending, filtered, webhookURL, transcriptCount, chats) = s
        let byMethod = stats.byMethod.sorted { $0.key < $1.key }.map { "\(JSONText.quoted($0.key)):\($0.value)" }.joined(separator: ",")
        let byStatus = stats.byStatus.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        let json = #"{"requests":\#(stats.requests),"by_method":{\#(byMethod)},"by_status":{\#(byStatus)},"updates_injected":\#(stats.updatesInjected),"updates_delivered":\#(stats.updatesDelivered),"updates_pending":\#(pending),"updates_filtered":\#(filtered),"messages_sent":\#(stats.messagesSent),"webhook_url":\#(webhookURL.map(JSONText.quoted) ?? "null"),"webhook_requests":\#(stats.webhookRequests),"webhook_failures":\#(stats.webhookFailures),"transcript_calls":\#(transcriptCount),"transcript_dropped":\#(stats.transcriptDropped),"connections_opened":\#(stats.connectionsOpened),"chats":\#(chats)}"#
        return Data(json.utf8)
    }

    /// Counts a TCP connection the server accepted (`connections_opened` in the stats).
    func connectionOpened() {
        state.locked { $0.stats.connectionsOpened += 1 }
    }

    /// Forgets chats, messages, updates, the webhook and the transcript.
    public func reset() {
        state.locked { $0.reset() }
        webhook.pump()
    }

    /// Marks a chat as having blocked the bot (403 on sends) or unblocks it.
    public func setBlocked(chatID: Int64, _ blocked: Bool) throws(APIError) {
        try state.locked { s throws(APIError) in
            guard s.chats[chatID] != nil else { throw .chatNotFound }
            s.chats[chatID]!.blocked = blocked
        }
    }

    /// The messages of a chat, oldest first, as `{"messages":[Message...]}`.
    public func messagesJSON(chatID: Int64) -> Data {
        let rendered = state.locked { s -> [String] in
            s.messages.values.filter { $0.chatID == chatID }.sorted { $0.messageID < $1.messageID }.map { s.render($0) }
        }
        return Data((#"{"messages":["# + rendered.joined(separator: ",") + "]}").utf8)
    }

    func download(path: String) -> Data? {
        state.locked { $0.download(path: path) }
    }
}

extension SimState {
    /// Registers the chats, users, messages and query ids an injected update mentions, so that
    /// the bot's answers to it find them.
    mutating func learn(from update: [String: Any], kind: UpdateKind) {
        guard let body = update[kind.rawValue] as? [String: Any] else { return }
        for key in ["from", "user"] {
            if let user = body[key] as? [String: Any] { learnUser(user) }
        }
        if let chat = body["chat"] as? [String: Any] { learnChat(chat) }
        switch kind {
        case .message, .editedMessage, .channelPost, .editedChannelPost, .businessMessage, .guestMessage:
            learnMessage(body)
        case .callbackQuery:
            if let id = body["id"] as? String { callbackQueries.insert(id) }
            if let message = body["message"] as? [String: Any] {
                if let chat = message["chat"] as? [String: Any] { learnChat(chat) }
                if (message["date"] as? Int ?? 0) != 0 { learnMessage(message) }
            }
        case .inlineQuery:
            if let id = body["id"] as? String { inlineQueries.insert(id) }
        default:
            break
        }
    }

    private mutating func learnUser(_ user: [String: Any]) {
        guard let id = (user["id"] as? NSNumber)?.int64Value,
              let data = try? JSONSerialization.data(withJSONObject: user, options: [.withoutEscapingSlashes]) else { return }
        users[id] = String(decoding: data, as: UTF8.self)
    }

    private mutating func learnChat(_ chat: [String: Any]) {
        guard let id = (chat["id"] as? NSNumber)?.int64Value,
              let data = try? JSONSerialization.data(withJSONObject: chat, options: [.withoutEscapingSlashes]) else { return }
        let json = String(decoding: data, as: UTF8.self)
        if var known = chats[id] {
            known.json = json
            chats[id] = known
        } else {
            chats[id] = ChatRecord(id: id, json: json, type: chat["type"] as? String ?? "private",
                                   username: chat["username"] as? String)
        }
    }

    private mutating func learnMessage(_ message: [String: Any]) {
        guard let chat = message["chat"] as? [String: Any], let chatID = (chat["id"] as? NSNumber)?.int64Value,
              let id = message["message_id"] as? Int else { return }
        learnChat(chat)
        let from = (message["from"] as? [String: Any]).flatMap {
            try? JSONSerialization.data(withJSONObject: $0, options: [.withoutEscapingSlashes])
        }.map { String(decoding: $0, as: UTF8.self) }
        // A message from a bot (a callback's message, as Telegram sends it) is the bot's own:
        // it can edit and delete it.
        let fromBot = (message["from"] as? [String: Any])?["is_bot"] as? Bool ?? false
        store(MessageRecord(chatID: chatID, messageID: id, date: message["date"] as? Int ?? SimState.now, fromBot: fromBot,
                            fromJSON: from, text: message["text"] as? String))
        if chats[chatID]!.nextMessageID <= id { chats[chatID]!.nextMessageID = id + 1 }
    }
}
