import Foundation

/// Finds each update in a `getUpdates` response (or one webhook body) without decoding it:
/// its byte range, `update_id`, kind, routing key and where its text lies.
///
/// Ingest and broker run on this; the raw bytes then travel unchanged and only the worker that
/// runs a handler decodes them. The scanner validates the whole input as JSON on the way (a
/// malformed batch is rejected whole rather than half-delivered) and walks the structure, so a
/// chat nested in a reply never passes for the update's own chat.
public enum UpdateScanner {
    /// Scans a `getUpdates` response: `{"ok":true,"result":[update, ...]}`.
    ///
    /// Throws `UpdateScanError` for malformed JSON, a response with `ok: false`, or an element
    /// of `result` that is not an update with an integer `update_id`.
    public static func scanResponse(_ data: Data) throws(UpdateScanError) -> [ScannedUpdate] {
        do {
            return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(UpdateScanError) -> [ScannedUpdate] in
                try scanResponse(raw)
            }
        } catch let error as UpdateScanError {
            throw error
        } catch {
            preconditionFailure("unreachable: \(error)")
        }
    }

    /// Scans one update object (a webhook request body); its range is the object itself.
    public static func scanUpdate(_ data: Data) throws(UpdateScanError) -> ScannedUpdate {
        do {
            return try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(UpdateScanError) -> ScannedUpdate in
                var s = JSONScanner(raw)
                let update = try scanOne(&s)
                s.skipWhitespace()
                guard s.index == s.end else { throw .malformed(s.error("trailing bytes after the update")) }
                return update
            }
        } catch let error as UpdateScanError {
            throw error
        } catch {
            preconditionFailure("unreachable: \(error)")
        }
    }

    static func scanResponse(_ raw: UnsafeRawBufferPointer) throws(UpdateScanError) -> [ScannedUpdate] {
        var s = JSONScanner(raw)
        var ok: Bool?
        var errorCode: Int64?
        var description: String?
        var updates: [ScannedUpdate] = []
        var sawResult = false
        do {
            try s.beginObject()
            var first = true
            while let key = try s.nextKey(first: &first) {
                if s.key(key, is: "ok") {
                    let c = try s.peek()
                    ok = c == UInt8(ascii: "t")
                    try s.skipValue()
                } else if s.key(key, is: "result"), try s.peek() == UInt8(ascii: "[") {
                    sawResult = true
                    try s.expect(UInt8(ascii: "["))
                    if !(try s.consume(UInt8(ascii: "]"))) {
                        repeat {
                            updates.append(try scanOne(&s))
                        } while try s.consume(UInt8(ascii: ","))
                        try s.expect(UInt8(ascii: "]"))
                    }
                } else if s.key(key, is: "error_code"), let code = try? s.readInt64() {
                    errorCode = code
                } else if s.key(key, is: "description"), try s.peek() == UInt8(ascii: "\"") {
                    description = try s.readString()
                } else {
                    try s.skipValue()
                }
            }
            s.skipWhitespace()
            guard s.index == s.end else { throw s.error("trailing bytes after the response") }
        } catch let error as JSONScanError {
            throw .malformed(error)
        } catch let error as UpdateScanError {
            throw error
        } catch {
            preconditionFailure("unreachable: \(error)")
        }
        guard ok == true else {
            throw .notOK(errorCode: errorCode.map { Int($0) }, description: description ?? "ok is not true")
        }
        guard sawResult else { throw .malformed(JSONScanError(offset: 0, reason: "no result array")) }
        return updates
    }

    /// Scans one update object at the scanner's position.
    static func scanOne(_ s: inout JSONScanner) throws(UpdateScanError) -> ScannedUpdate {
        do {
            guard try s.peek() == UInt8(ascii: "{") else { throw UpdateScanError.notAnUpdate(offset: s.index, reason: "not an object") }
            let start = s.index
            try s.beginObject()
            var first = true
            var updateID: Int64?
            var kind: UpdateKind?
            var route: RoutingKey?
            var text = TextPosition.absent
            while let key = try s.nextKey(first: &first) {
                if s.key(key, is: "update_id") {
                    let at = s.index
                    guard let id = try? s.readInt64() else {
                        throw UpdateScanError.notAnUpdate(offset: at, reason: "update_id is not an integer")
                    }
                    updateID = id
                } else if kind == nil {
                    kind = UpdateKind(rawValue: s.keyString(key))
                    (route, text) = try routingKeyAndText(&s, updateStart: start)
                } else {
                    try s.skipValue()
                }
            }
            guard let updateID else { throw UpdateScanError.notAnUpdate(offset: start, reason: "no update_id") }
            return ScannedUpdate(updateID: updateID, kind: kind ?? .unknown, routingKey: route, range: start..<s.index, textPosition: text)
        } catch let error as JSONScanError {
            throw .malformed(error)
        } catch let error as UpdateScanError {
            throw error
        } catch {
            preconditionFailure("unreachable: \(error)")
        }
    }

    /// Walks the kind's object for the routing key: its `chat`, else its `message`'s chat
    /// (callback queries), else `from`, else `user`, else `voter_chat`; and for its first
    /// `text` (where its value begins, from `updateStart`): the walk passes it anyway.
    private static func routingKeyAndText(_ s: inout JSONScanner, updateStart: Int) throws(JSONScanError) -> (RoutingKey?, TextPosition) {
        guard try s.peek() == UInt8(ascii: "{") else {
            try s.skipValue()
            return (nil, .absent)
        }
        try s.beginObject()
        var first = true
        var chat: Int64?, messageChat: Int64?, from: Int64?, user: Int64?, voterChat: Int64?
        var text = TextPosition.absent
        while let key = try s.nextKey(first: &first) {
            if text == .absent, s.key(key, is: "text") {
                s.skipWhitespace()
                text = .at(s.index - updateStart)
                try s.skipValue()
            } else if s.key(key, is: "chat") {
                chat = try idOf(&s)
            } else if s.key(key, is: "message") {
                messageChat = try chatOfMessage(&s)
            } else if s.key(key, is: "from") {
                from = try idOf(&s)
            } else if s.key(key, is: "user") {
                user = try idOf(&s)
            } else if s.key(key, is: "voter_chat") {
                voterChat = try idOf(&s)
            } else {
                try s.skipValue()
            }
        }
        return (routingKey(chat: chat, messageChat: messageChat, from: from, user: user, voterChat: voterChat), text)
    }

    private static func routingKey(chat: Int64?, messageChat: Int64?, from: Int64?, user: Int64?, voterChat: Int64?) -> RoutingKey? {
        if let chat { return .chat(chat) }
        if let messageChat { return .chat(messageChat) }
        if let from { return .user(from) }
        if let user { return .user(user) }
        if let voterChat { return .chat(voterChat) }
        return nil
    }

    /// The integer `id` member of the object at the scanner, which it consumes.
    private static func idOf(_ s: inout JSONScanner) throws(JSONScanError) -> Int64? {
        try member("id", of: &s) { s throws(JSONScanError) in
            let c = try s.peek()
            guard c == UInt8(ascii: "-") || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) else {
                try s.skipValue()
                return nil
            }
            return try s.scanNumber()
        }
    }

    /// The id of the `chat` member of the (message) object at the scanner.
    private static func chatOfMessage(_ s: inout JSONScanner) throws(JSONScanError) -> Int64? {
        try member("chat", of: &s, idOf)
    }

    /// Walks the object at the scanner (consuming it) and reads its first member `name` with
    /// `read`; nil if the value is not an object or has no such member.
    private static func member<T>(_ name: StaticString, of s: inout JSONScanner,
                                  _ read: (inout JSONScanner) throws(JSONScanError) -> T?) throws(JSONScanError) -> T? {
        guard try s.peek() == UInt8(ascii: "{") else {
            try s.skipValue()
            return nil
        }
        try s.beginObject()
        var first = true
        var found: T?
        while let key = try s.nextKey(first: &first) {
            if found == nil, s.key(key, is: name) {
                found = try read(&s)
            } else {
                try s.skipValue()
            }
        }
        return found
    }
}
