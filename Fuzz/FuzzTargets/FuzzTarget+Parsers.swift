import BotAPI
import ClusterRuntime
import Foundation
import Sim
import TGBot
import Wire

extension FuzzTarget {
    /// Both entry points agree: every update of a response is inside it, and scanning its bytes
    /// alone (as a webhook body) finds the same id, kind and routing key.
    static func updateScanner(_ data: Data) {
        if let updates = try? UpdateScanner.scanResponse(data) {
            for update in updates {
                precondition(update.range.lowerBound >= 0 && update.range.upperBound <= data.count, "range outside the input")
                let alone = data.subdata(in: update.range)
                guard let again = try? UpdateScanner.scanUpdate(alone) else {
                    preconditionFailure("an update of an accepted response does not scan alone")
                }
                precondition(again.updateID == update.updateID && again.kind == update.kind && again.routingKey == update.routingKey,
                             "the two entry points disagree")
                _ = UpdateEnvelope(update, in: data)
            }
        }
        if let update = try? UpdateScanner.scanUpdate(data) {
            precondition(update.range.lowerBound >= 0 && update.range.upperBound <= data.count, "range outside the body")
        }
    }

    /// The scanner accepts only what Foundation's parser accepts, but for three things it leaves
    /// to the decoder on purpose: bytes that are not UTF-8, `\uD800`-`\uDFFF` escapes (RFC 8259's
    /// grammar allows a lone surrogate; Foundation refuses it) and numbers beyond a Double
    /// (`1e400`: the grammar has no limit; Foundation refuses them). The scanner walks structure, not
    /// text, so one odd value in a batch does not hold the batch up: a handler that decodes
    /// that update gets the decoding error. `JSONFields` never traps.
    static func json(_ data: Data) {
        // Where the validating walk ended the value, if the input is one value and whitespace.
        let valueEnd: Int? = data.withUnsafeBytes { raw in
            var s = JSONScanner(raw)
            guard (try? s.skipValue()) != nil else { return nil }
            let end = s.index
            s.skipWhitespace()
            return s.index == s.end ? end : nil
        }
        let scanned = valueEnd != nil
        // The walk `RawUpdate` uses over scanned bytes ends where the validating walk ends on what
        // it accepts, and stays in bounds on anything.
        data.withUnsafeBytes { raw in
            var walk = JSONScanner(raw)
            let ended = walk.skipScannedValue()
            precondition(walk.index <= raw.count, "the walk over scanned bytes left the input")
            if let valueEnd { precondition(ended && walk.index == valueEnd, "the two walks disagree") }
        }
        if scanned, String(data: data, encoding: .utf8) != nil, !Self.hasSurrogateEscape(data), !Self.hasHugeNumber(data) {
            let parsed = (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil
            precondition(parsed, "the scanner accepted JSON that Foundation rejects")
        }
        _ = try? JSONFields.parse(data)
    }

    /// Whether the text has a `\u` escape of a UTF-16 surrogate.
    static func hasSurrogateEscape(_ data: Data) -> Bool {
        let b = [UInt8](data)
        guard b.count >= 4 else { return false }
        for i in 0..<(b.count - 3) where b[i] == UInt8(ascii: "\\") && b[i + 1] == UInt8(ascii: "u") && (b[i + 2] | 0x20) == UInt8(ascii: "d") {
            if [UInt8]("89abcdefABCDEF".utf8).contains(b[i + 3]) { return true }
        }
        return false
    }

    /// Whether the text has an exponent of three digits or more, or a run of 300 digits: a
    /// number Foundation may refuse as not representable.
    static func hasHugeNumber(_ data: Data) -> Bool {
        let b = [UInt8](data)
        var run = 0, i = 0
        while i < b.count {
            if b[i] | 0x20 == UInt8(ascii: "e"), i > 0, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i - 1]) {
                var j = i + 1
                if j < b.count, b[j] == UInt8(ascii: "+") || b[j] == UInt8(ascii: "-") { j += 1 }
                var digits = 0
                while j < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[j]) { digits += 1; j += 1 }
                if digits >= 3 { return true }
            }
            run = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) ? run + 1 : 0
            if run >= 300 { return true }
            i += 1
        }
        return false
    }

    /// A decoded message (the input: one ZeroMQ frame) encodes to bytes that decode to a frame
    /// with the same bytes (bytes, not `==`: a NaN time is the same frame and yet not equal to
    /// itself).
    ///
    /// A BUNDLE the bus would take apart packs back into the same bytes, and each message in it
    /// goes through the same check (`unbundle` refuses a bundle inside one, so this is one level).
    static func frame(_ data: Data) {
        if let parts = try? Frame.unbundle(data) {
            precondition(Frame.bundle(parts) == data, "a bundle changed through packing")
            for part in parts { frame(part) }
            return
        }
        guard let frame = try? Frame.decode(message: data) else { return }
        let encoded = frame.encoded()
        guard let again = try? Frame.decode(encoded) else { preconditionFailure("a decoded frame does not survive encoding") }
        precondition(again.encoded() == encoded, "a frame changed through encoding: \(frame) became \(again)")
    }

    /// Whatever the damage, the reader's counts add up, and every record it returns is one the
    /// writer could have written (encoding it and reading it back gives the record).
    static func journal(_ data: Data) {
        let result = JournalReader.read(data)
        precondition(result.validEnd <= data.count && result.tornBytes + result.room == data.count - result.validEnd && (result.room == 0 || result.tornBytes == 0), "counts do not add up")
        for record in result.records {
            let again = JournalReader.read(record.encoded())
            precondition(again.records == [record] && again.tornBytes == 0, "a record changed through encoding")
        }
    }

    /// Piece 1: method, URI, then headers as `name: value` lines; piece 2: the body. Accepted
    /// only on the path, by POST, with the secret; the body path never traps.
    static func webhook(_ data: Data) {
        let pieces = FuzzInput.pieces(data)
        let head = FuzzInput.lines(pieces.first ?? Data())
        let method = head.first ?? ""
        let uri = head.count > 1 ? head[1] : ""
        let headers: [(String, String)] = head.dropFirst(2).compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let policy = WebhookPolicy(path: "/hook", secret: "s3cret_token", maxBodyBytes: 1 << 20)
        let verdict = policy.check(method: method, uri: uri, headers: headers)
        if verdict == .accept {
            precondition(method == "POST", "accepted a \(method)")
            precondition(uri.split(separator: "?", maxSplits: 1).first == "/hook", "accepted path \(uri)")
            precondition(headers.contains { $0.0.lowercased() == "x-telegram-bot-api-secret-token" && $0.1 == "s3cret_token" },
                         "accepted without the secret")
            let body = pieces.count > 1 ? pieces[1] : Data()
            if let update = try? UpdateScanner.scanUpdate(body) {
                _ = UpdateEnvelope(update, in: body)
            }
        }
    }

    /// A value that parses gives rates and bursts a token bucket can use.
    static func floodLimits(_ data: Data) {
        guard let limits = try? FloodLimits.parse(String(decoding: data, as: UTF8.self)) else { return }
        for (rate, burst) in [(limits.chatRate, limits.chatBurst), (limits.groupRate, limits.groupBurst), (limits.globalRate, limits.globalBurst)] {
            precondition(rate.isFinite && rate >= 0 && burst.isFinite && burst >= 1, "limits a bucket cannot use: \(limits)")
        }
    }

    /// An expression that parses has a next firing, if any, after the given time and on it.
    static func cron(_ data: Data) {
        guard let expression = try? CronExpression(String(decoding: data, as: UTF8.self)) else { return }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let start = Date(timeIntervalSince1970: 1_780_000_000)
        if let next = expression.next(after: start, calendar: calendar) {
            precondition(next > start, "the next firing is not after the start")
        }
    }

    /// Piece 1: query string; piece 2: content type; piece 3: body. Typed reads answer or
    /// throw `APIError`, as the emulator's methods expect.
    static func simParams(_ data: Data) {
        let pieces = FuzzInput.pieces(data)
        let query = pieces.first.map { Substring(String(decoding: $0, as: UTF8.self)) }
        let type = pieces.count > 1 ? String(decoding: pieces[1], as: UTF8.self) : nil
        let body = pieces.count > 2 ? pieces[2] : Data()
        guard let params = try? BotParams.parse(query: query, contentType: type, body: body) else { return }
        _ = try? params.int64("chat_id")
        _ = try? params.int("message_id")
        _ = params.bool("disable_notification")
        _ = try? params.decode(InlineKeyboardMarkup.self, "reply_markup")
        _ = try? params.jsonText("entities")
        _ = params.transcriptJSON
    }
}
