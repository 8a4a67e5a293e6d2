import Foundation

/// One update as the bytes Telegram sent, read field by field on demand.
///
/// A handler that reads only the chat and the text pays for a walk over the bytes (about a
/// microsecond for a typical update), not for decoding a whole `Message` with its ~100
/// optional fields (tens of microseconds with Foundation's `JSONDecoder`). `decode()` gives
/// the full typed `Update` when a handler wants it.
public struct RawUpdate: Sendable {
    /// Exactly one update object, indexed from zero: a copy when the update came as part of a
    /// larger message (read it once, not in a loop).
    public var bytes: Data { json.startIndex == 0 ? json : Data(json) }
    /// The update's bytes where they lie: a broker routes each update of a batch, and a worker
    /// each job, from the message it came in without copying it out first (~750 instructions
    /// an update, `scripts/bench instructions`). Read through `withUnsafeBytes`, by offsets from
    /// its first byte, never by its indices.
    private let json: Data
    public let updateID: Int64
    public let kind: UpdateKind
    public let routingKey: RoutingKey?
    /// Where the text's JSON value begins in `bytes`: as the scanner found it on the way in
    /// (carried with the update), or once `locatingText()` looked. The router tests a handler
    /// table's text filters (each `.command` and the `.plainText` after them) one after the
    /// other on one update: each walked the update's keys up to the text again, the broker's
    /// largest cost per update after ZeroMQ (`scripts/bench instructions`).
    public private(set) var textPosition: TextPosition

    /// Scans `bytes` (one update object); throws when it is not one.
    public init(bytes: Data) throws(UpdateScanError) {
        var scanned = try UpdateScanner.scanUpdate(bytes)
        // The position counts from the object's first byte; whitespace may come before it.
        if case .at(let offset) = scanned.textPosition { scanned.textPosition = .at(scanned.range.lowerBound + offset) }
        self.init(bytes: bytes, scanned: scanned)
    }

    /// Wraps bytes the scanner has already read (`scanned` describes them); they may be a slice
    /// of a larger `Data`, kept as it is.
    public init(bytes: Data, scanned: ScannedUpdate) {
        json = bytes
        self.updateID = scanned.updateID
        self.kind = scanned.kind
        self.routingKey = scanned.routingKey
        textPosition = scanned.textPosition.checked(byteCount: json.count)
    }

    /// The chat the update belongs to, if it has one.
    public var chatID: Int64? {
        if case .chat(let id) = routingKey { return id }
        return nil
    }

    /// The sender: `from.id` of the update's object (message, callback query, inline query, ...).
    public var userID: Int64? {
        if let id = int64(at: kind.rawValue, "from", "id") { return id }
        if case .user(let id) = routingKey { return id }
        return nil
    }

    /// The text of a message-like update (`message.text`, `edited_message.text`, ...).
    public var text: String? {
        json.withUnsafeBytes { raw in
            guard let start = textStart(in: raw) else { return nil }
            var s = JSONScanner(raw)
            s.index = start
            guard (try? s.peek()) == UInt8(ascii: "\"") else { return nil }
            return try? s.readString()
        }
    }

    /// A copy that knows where its text lies (or that it has none), for a caller about to test
    /// several filters that read it: each then starts there, not at the update's first key.
    package func locatingText() -> RawUpdate {
        guard textPosition == .unknown else { return self }
        var copy = self
        copy.textPosition = json.withUnsafeBytes { raw in Self.walkToText(raw, kind).map { .at($0) } ?? .absent }
        return copy
    }

    /// Where the value of `kind.text` begins in `raw` (this update's bytes): where
    /// `locatingText()` found it, else found by a walk; nil if there is none.
    private func textStart(in raw: UnsafeRawBufferPointer) -> Int? {
        switch textPosition {
        case .absent: nil
        case .at(let start): start
        case .unknown: Self.walkToText(raw, kind)
        }
    }

    /// The walk from the update's first key to the value of `kind.text`; nil if there is none.
    private static func walkToText(_ raw: UnsafeRawBufferPointer, _ kind: UpdateKind) -> Int? {
        var s = JSONScanner(raw)
        guard enter(kind.rawValue, &s), enter("text", &s) else { return nil }
        s.skipWhitespace()
        return s.index
    }

    /// Whether the text of a message-like update (`text`) starts with `prefix`; nil without a
    /// text. Read off the bytes where they alone decide it (an ASCII prefix, then an ASCII byte
    /// that is no escape: the usual command or message), so that the broker routes `.command`
    /// and `.plainText` without decoding a text per update; else `text?.hasPrefix(prefix)`.
    public func text(hasPrefix prefix: String) -> Bool? {
        enum Verdict { case noText, yes, no, undecided }
        let verdict = json.withUnsafeBytes { raw -> Verdict in
            guard let start = textStart(in: raw), start < raw.count, raw[start] == UInt8(ascii: "\"") else { return .noText }
            var i = start + 1
            // Plain: ASCII, printable (a control character is no valid JSON: `text` says nil),
            // no escape.
            func plain(_ i: Int) -> Bool { i < raw.count && raw[i] >= 0x20 && raw[i] < 0x80 && raw[i] != UInt8(ascii: "\\") }
            for expected in prefix.utf8 {
                guard expected < 0x80, plain(i) else { return .undecided }
                // The string's end (a quote inside it is escaped), or a different ASCII
                // character: no spelling of the text can start with the prefix.
                if raw[i] == UInt8(ascii: "\"") || raw[i] != expected { return .no }
                i += 1
            }
            // The byte after the prefix must not be a combining mark's, nor an escape.
            return plain(i) ? .yes : .undecided
        }
        switch verdict {
        case .noText: return nil
        case .yes: return true
        case .no: return false
        case .undecided: return text.map { $0.hasPrefix(prefix) }
        }
    }

    /// Moves `s` (at an object) to the value of `key`; false if there is none.
    private static func enter(_ key: String, _ s: inout JSONScanner) -> Bool {
        guard (try? s.peek()) == UInt8(ascii: "{"), (try? s.beginObject()) != nil else { return false }
        var first = true
        while let found = try? s.nextKey(first: &first) {
            if s.key(found, equals: key) { return true }
            guard s.skipScannedValue() else { return false }
        }
        return false
    }

    /// The string at `path` (object keys from the update's root); nil if absent or not a string.
    public func string(at path: String...) -> String? {
        withValue(at: path) { s in
            guard (try? s.peek()) == UInt8(ascii: "\"") else { return nil }
            return try? s.readString()
        }
    }

    /// The integer at `path`; nil if absent or not an integer.
    public func int64(at path: String...) -> Int64? {
        withValue(at: path) { s in try? s.readInt64() }
    }

    /// The raw JSON bytes of the value at `path`.
    public func json(at path: String...) -> Data? {
        withValue(at: path) { s in
            let start = s.index
            guard (try? s.skipValue()) != nil else { return nil }
            return Data(UnsafeRawBufferPointer(rebasing: s.bytes[start..<s.index]))
        }
    }

    /// Decodes the value at `path` as `T`; nil if the path is absent.
    public func decode<T: Decodable>(_ type: T.Type, at path: String...) throws -> T? {
        guard let data = withValue(at: path, { s -> Data? in
            let start = s.index
            guard (try? s.skipValue()) != nil else { return nil }
            return Data(UnsafeRawBufferPointer(rebasing: s.bytes[start..<s.index]))
        }) else { return nil }
        return try JSONDecoder().decode(T.self, from: data)
    }

    /// The whole update, decoded.
    public func decode() throws -> Update {
        try JSONDecoder().decode(Update.self, from: bytes)
    }

    private func withValue<R>(at path: [String], _ body: (inout JSONScanner) -> R?) -> R? {
        json.withUnsafeBytes { raw -> R? in
            var s = JSONScanner(raw)
            for component in path where !Self.enter(component, &s) { return nil }
            s.skipWhitespace()
            return body(&s)
        }
    }
}
