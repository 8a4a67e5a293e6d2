import BotAPI
import ClusterRuntime
import Foundation
import FuzzTargets
import Sim
import Wire

/// The seed corpora: real shapes of every input a target reads, so the fuzzer starts from
/// what traffic carries (every update kind of the Bot API, every protocol command, a journal
/// with a torn tail, a webhook request with its secret, each parameter encoding) and mutates
/// from there. Written by `tgcluster-fuzz seeds Fuzz/Corpus`; run from the package root (the
/// update fixtures of the BotAPI tests are read from `Tests/BotAPITests/Fixtures`).
enum FuzzSeeds {
    static func seeds(for target: FuzzTarget) throws -> [Data] {
        switch target {
        case .updateScanner:
            let updates = try self.updates()
            return updates + updates.map { response([$0]) } + [response(updates), Data(#"{"ok":true,"result":[]}"#.utf8),
                                                                 Data(#"{"ok":false,"error_code":409,"description":"Conflict"}"#.utf8)]
        case .json:
            return try updates().prefix(12) + [
                #"[1,-2.5e3,0.0,1E+2,"a\u00e9\n\ud83d\ude00",true,false,null,{},[]]"#, #"{"a":{"b":[{"c":"\\\""}]}}"#,
                "  42  ", #""\/""#, #"{"reply_markup":{"inline_keyboard":[[{"text":"x","callback_data":"y"}]]}}"#,
            ].map { Data($0.utf8) }
        case .frame:
            let messages = frames.map { $0.encoded()[0] }
            return messages + [Frame.bundle(Array(messages.prefix(4))), Frame.bundle(Array(messages.suffix(3)))]
        case .journal:
            let updates = try self.updates()
            var segment = Data()
            for (i, update) in updates.enumerated() {
                let scanned = try UpdateScanner.scanUpdate(update)
                segment += JournalRecord.accepted(UpdateEnvelope(scanned, in: update), receivedAt: 1_780_000_000 + Double(i)).encoded()
                if i % 2 == 0 { segment += JournalRecord.completed(updateID: scanned.updateID).encoded() }
            }
            let torn = segment + JournalRecord.completed(updateID: 1).encoded().prefix(7)
            var corrupt = segment
            corrupt[corrupt.count / 2] ^= 0x40
            return [segment, torn, corrupt, JournalRecord.completed(updateID: 9).encoded()]
        case .webhook:
            let body = try updates()[0]
            func request(_ head: String, _ body: Data) -> Data { FuzzInput.joined([Data(head.utf8), body]) }
            return [
                request("POST\n/hook\nContent-Type: application/json\nX-Telegram-Bot-Api-Secret-Token: s3cret_token\nContent-Length: \(body.count)", body),
                request("POST\n/hook?x=1\ncontent-type: application/json; charset=utf-8\nx-telegram-bot-api-secret-token: s3cret_token", body),
                request("POST\n/hook\nContent-Type: application/json\nX-Telegram-Bot-Api-Secret-Token: wrong", body),
                request("GET\n/healthz", Data()),
                request("POST\n/hook\nContent-Type: text/plain\nX-Telegram-Bot-Api-Secret-Token: s3cret_token", Data("hello".utf8)),
            ]
        case .floodLimits:
            return ["telegram", "off", "chat=0.9/2,group=0.3/18,global=30", "chat=1", " Group = 0.5 / 20 ", "global=0"].map { Data($0.utf8) }
        case .cron:
            return ["*/5 * * * *", "0 9 * * 1-5", "30 2 29 2 *", "0 0 1,15 * 0", "59 23 31 12 7", "0 0 30 2 *", "1-10/3 */2 * 1-6 *"]
                .map { Data($0.utf8) }
        case .httpResponse:
            // Each piece one read of the connection.
            return [
                ["HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 25\r\n\r\n", #"{"ok":true,"result":true}"#],
                ["HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nRetry-After: 3\r\n\r\n5;x=y\r\nhello\r\n", "0\r\nTrailer: 1\r\n\r\n"],
                ["HTTP/1.0 200 OK\r\n\r\nuntil", " the end"],
                ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"],
                ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"],
                ["HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 12\r\n\r\n<h1>502</h1>"],
            ].map { FuzzInput.joined($0.map { Data($0.utf8) }) }
        case .simParams:
            let boundary = "XyZ"
            let multipart = "--\(boundary)\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n--\(boundary)\r\n"
                + "Content-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\u{1}\u{2}\u{3}\r\n--\(boundary)--\r\n"
            func request(_ query: String, _ type: String, _ body: String) -> Data {
                FuzzInput.joined([Data(query.utf8), Data(type.utf8), Data(body.utf8)])
            }
            return [
                request("chat_id=42&text=hi%20there+you", "", ""),
                request("", "application/x-www-form-urlencoded", "chat_id=-100123&text=%D0%BF&disable_notification=true"),
                request("", "application/json", #"{"chat_id":42,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"a","callback_data":"b"}]]},"entities":[]}"#),
                request("", "multipart/form-data; boundary=\(boundary)", multipart),
            ]
        }
    }

    /// Every update fixture of the BotAPI tests, plus one update of every kind the scanner knows
    /// and a seeded sample from the emulator's generator.
    static func updates() throws -> [Data] {
        var out: [Data] = []
        let fixtures = URL(fileURLWithPath: "Tests/BotAPITests/Fixtures")
        for file in try files(at: fixtures) where file.pathExtension == "json" {
            out.append(try Data(contentsOf: file))
        }
        var factory = UpdateFactory(seed: 17)
        for _ in 0..<24 { out.append(UpdateFactory.json(factory.randomUpdate())) }
        let kinds = ["message", "edited_message", "channel_post", "edited_channel_post", "business_connection", "business_message",
                     "edited_business_message", "deleted_business_messages", "message_reaction", "message_reaction_count",
                     "inline_query", "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
                     "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_member", "chat_join_request",
                     "chat_boost", "removed_chat_boost"]
        for (i, kind) in kinds.enumerated() {
            out.append(Data(#"{"update_id":\#(900 + i),"\#(kind)":{"chat":{"id":-100\#(i),"type":"supergroup"},"from":{"id":\#(i),"is_bot":false,"first_name":"A"},"date":1780000000}}"#.utf8))
        }
        return out
    }

    static func response(_ updates: [Data]) -> Data {
        Data(#"{"ok":true,"result":["#.utf8) + Data(updates.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",").utf8) + Data("]}".utf8)
    }

    static let frames: [Frame] = {
        let envelope = UpdateEnvelope(updateID: 100_000_007, kind: .message, routingKey: .chat(-1_001_234),
                                      bytes: Data(#"{"update_id":100000007,"message":{"text":"hi"}}"#.utf8))
        let firing = TimerFiring(scheduleID: 3, name: "timer-42", callback: "beep", payload: Data("30".utf8), chatID: 42,
                                 userID: nil, scheduledFor: 1_790_000_000.25)
        return [
            .ready(Ready(capacity: 64, role: .worker, fingerprint: 0xdead_beef_0123_4567, program: "echobot", pid: 4242, host: "h1")),
            .ready(Ready(capacity: 1, role: .sequencer)), .heartbeat, .disconnect, .lend, .reclaim,
            .refuse(reason: "handler tables differ"),
            .updates(batch: 9, [envelope, UpdateEnvelope(updateID: 1, kind: .poll, routingKey: nil, bytes: Data("{}".utf8))]),
            .updates(batch: 10, [envelope], holdJobs: true), .polling(batch: 10),
            .ack(batch: 9), .busy(batch: 9, retryAfterMilliseconds: 250),
            .job(Job(id: 77, attempt: 2, payload: .update(handler: 3, envelope))),
            .job(Job(id: 78, attempt: 1, payload: .task(name: "child", input: Data([1, 2, 3])))),
            .job(Job(id: 80, attempt: 1, payload: .outbox(id: 13, .call(method: "sendMessage", parameters: Data(#"{"chat_id":1}"#.utf8),
                                                                        updateID: 7)))),
            .job(Job(id: 86, attempt: 1, payload: .apply(handler: 2, envelope, result: Data("12".utf8)))),
            .job(Job(id: 81, attempt: 3, payload: .outbox(id: 14, .fire(firing)))),
            .job(Job(id: 82, attempt: 1, payload: .deadLetter(DeadLetterNotice(updateID: 7, reason: "died", update: Data("{}".utf8))))),
            .job(Job(id: 84, attempt: 1, payload: .schedule(Data(#"{"operation":"cancel","id":3}"#.utf8)))),
            .done(jobID: 77, outcome: .ok, output: Data()), .submit(taskID: 5, name: "grandchild", input: Data("{}".utf8)),
            .result(taskID: 5, outcome: .deadLettered, output: Data("gave up".utf8)),
            .emit(Emission(outboxID: 12, key: .chat(-5), action: .job(name: "notify", input: Data("{}".utf8)))),
            .emit(Emission(outboxID: 14, key: .user(9), action: .fire(firing))),
            .emitted(outboxID: 12, outcome: .ok, output: Data("x".utf8)),
            .schedule(taskID: 6, change: Data("{}".utf8)), .metrics(Data(#"{"retries":1}"#.utf8)),
            .flood(FloodBudget(chatID: -1_001_234_567_890, until: 1_790_000_000_123_456_789)),
            .handover(Handover(running: [.init(jobID: 1_790_000_000_000_001, updateID: 7)], finished: [5, 6])),
        ]
    }()

    /// The regular files at `url` (itself, or those in it, sorted).
    static func files(at url: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [url] }
        return try FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)
            .filter { !$0.hasDirectoryPath }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Writes each seed as `seed-NNN` (replacing earlier seeds, keeping the fuzzer's finds).
    static func write(_ seeds: [Data], to dir: URL) throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for old in try files(at: dir) where old.lastPathComponent.hasPrefix("seed-") {
            try FileManager.default.removeItem(at: old)
        }
        for (i, seed) in seeds.enumerated() {
            try seed.write(to: dir.appendingPathComponent(String(format: "seed-%03d", i)))
        }
    }
}
