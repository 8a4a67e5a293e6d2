import BotAPI
import Wire
import ClusterRuntime
import Foundation
import Logging
import Sim

/// The update journal's durable append rate: batches of 100 realistic updates appended as the
/// broker does, each acknowledged from `whenDurable`, one fdatasync per group.
enum JournalBenchmark {
    static func run() throws {
        var factory = UpdateFactory(seed: 7)
        let envelopes: [UpdateEnvelope] = (0..<100).map { i in
            let u = factory.textMessageUpdate(chatID: Int64(1000 + i % 50), text: String(repeating: "x", count: 300), reply: true)
            let data = try! JSONSerialization.data(withJSONObject: u)
            let scanned = try! UpdateScanner.scanUpdate(data)
            return UpdateEnvelope(scanned, in: data)
        }
        let bytes = envelopes.reduce(0) { $0 + $1.bytes.count } / envelopes.count
        print("journal: durable appends, batches of 100 updates of ~\(bytes) bytes, acknowledged after fdatasync (3 rounds, median)")
        var rates: [Double] = []
        for _ in 0..<3 {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-journal-bench-\(UUID().uuidString.prefix(6))")
            defer { try? FileManager.default.removeItem(at: dir) }
            let journal = Journal(configuration: .init(directory: dir), logger: Logger(label: "bench"))
            _ = try journal.recover()
            let batches = 2000
            let acked = Counter()
            let start = ContinuousClock.now
            var id: Int64 = 0
            for _ in 0..<batches {
                let batch = envelopes.map { e -> UpdateEnvelope in
                    id += 1
                    return UpdateEnvelope(updateID: id, kind: e.kind, routingKey: e.routingKey, bytes: e.bytes)
                }
                try journal.append(accepted: batch)
                journal.whenDurable { acked.add() }
            }
            while acked.value < batches { usleep(200) }
            let d = ContinuousClock.now - start
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            rates.append(Double(batches * 100) / seconds)
            journal.close()
        }
        rates.sort()
        print("  \(fixed(rates[1], 0)) updates/s durable (rounds \(rates.map { fixed($0, 0) }.joined(separator: ", ")))")
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.lock(); n += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return n }
    }
}
