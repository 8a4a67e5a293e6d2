import BotAPI
import Foundation
import Sim

/// Full decode vs the scanner vs reading only what a handler needs (issue: foundation).
enum DecodeBenchmark {
    static func run() throws {
        // Realistic ~700-byte updates: group messages with a command entity that reply to
        // another message (from another user, maybe quoting another chat).
        var factory = UpdateFactory(seed: 1)
        let updates = (0..<2000).map { _ -> [String: Any] in
            let user = factory.user()
            var message = factory.message(chat: factory.groupChat(), from: user, text: "/transaction 25 \(Int.random(in: 1000...9999, using: &factory.rng)) please, for the dinner yesterday", replyDepth: 1)
            message["message_thread_id"] = 1
            return ["update_id": factory.takeUpdateID(), "message": message]
        }
        let singles = updates.map { UpdateFactory.json($0) }
        let batches = stride(from: 0, to: updates.count, by: 100).map {
            UpdateFactory.getUpdatesResponse(Array(updates[$0..<min($0 + 100, updates.count)]))
        }
        let bytes = singles.reduce(0) { $0 + $1.count }
        let meanSize = Double(bytes) / Double(singles.count)
        let n = singles.count

        let decoder = JSONDecoder()
        let fullDecode = try medianSecondsPerItem(items: n) {
            for data in singles { blackHole(try decoder.decode(Update.self, from: data)) }
        }
        let scan = try medianSecondsPerItem(items: n) {
            for batch in batches { blackHole(try UpdateScanner.scanResponse(batch)) }
        }
        let chatAndText = try medianSecondsPerItem(items: n) {
            for data in singles {
                let raw = try RawUpdate(bytes: data)
                blackHole((raw.chatID, raw.text))
            }
        }
        let decodeChat = try medianSecondsPerItem(items: n) {
            for data in singles {
                let raw = try RawUpdate(bytes: data)
                blackHole((try raw.decode(Chat.self, at: "message", "chat"), raw.text))
            }
        }

        print("decode: \(n) updates, mean \(Int(meanSize)) bytes, median of 7 rounds, release build")
        print(pad("what", 46) + lpad("µs/update", 11) + lpad("updates/s", 12) + lpad("MB/s", 9) + lpad("vs decode", 11))
        for (name, seconds) in [
            ("full decode (Foundation JSONDecoder, Update)", fullDecode),
            ("scanner (getUpdates batches of 100)", scan),
            ("handler reads chat + text (RawUpdate)", chatAndText),
            ("RawUpdate + typed Chat + text", decodeChat),
        ] {
            print(pad(name, 46) + lpad(fixed(seconds * 1e6, 2), 11) + lpad(fixed(1 / seconds, 0), 12)
                  + lpad(fixed(meanSize / seconds / 1e6, 1), 9) + lpad(fixed(fullDecode / seconds, 1) + "×", 11))
        }
    }
}
