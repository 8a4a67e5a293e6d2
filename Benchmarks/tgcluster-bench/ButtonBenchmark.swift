import Foundation
import TGClusterTesting

/// Click to answer (issue 16, item 7): how long a button's spinner turns when a serial handler
/// answers the press. counterbot's three serial vote handlers, one transaction each, differ only
/// in how they answer: `now:` with `ctx.answer` (sent at once, not awaited), `wait:` awaiting
/// the answer's round trip in the handler (what `answer` did before), `outbox:` with
/// `ctx.send` (an outbox row, sent after the commit: before issue 16). Each kind runs on its
/// own fresh cluster, on an emulator answering every call after 50 ms; the figure is the
/// press's injection to the answer's arrival at the emulator.
enum ButtonBenchmark {
    static let kinds = ["now", "wait", "outbox"]

    static func run(arguments: [String]) async throws {
        let quick = arguments.contains("--quick")
        let presses = quick ? 60 : 200
        print("buttons: counterbot (Benchmarks/CounterBot), 2 workers, emulator at 50 ms; release build; click → answer at the emulator")
        for rate in quick ? [10, 50] : [10, 50, 100] {
            for kind in kinds {
                let t = try await clickToAnswer(kind: kind, presses: presses, perSecond: rate).sorted()
                guard !t.isEmpty else { continue }
                print("  \(rate) presses/s, \(kind.padding(toLength: 6, withPad: " ", startingAt: 0)) \(t.count) answered: "
                      + "p50 \(fixed(t[t.count / 2], 1)) ms, p99 \(fixed(t[t.count * 99 / 100], 1)) ms")
            }
        }
    }

    /// A press of a button whose data is `data`, under a message of the bot in chat `chat`, with
    /// the callback query id `id`.
    static func press(_ data: String, chat: Int64, id: String) -> [String: Any] {
        let user: [String: Any] = ["id": chat, "is_bot": false, "first_name": "U"]
        let bot: [String: Any] = ["id": 1, "is_bot": true, "first_name": "Bot", "username": "bot"]
        let message: [String: Any] = ["date": Int(Date().timeIntervalSince1970), "chat": ["id": chat, "type": "private"], "from": bot,
                                      "text": "vote"]
        return ["callback_query": ["id": id, "from": user, "message": message, "chat_instance": "\(chat)", "data": data]]
    }

    /// `presses` presses of one kind, `perSecond` of them a second over 50 chats, into a fresh
    /// cluster (a kind that holds the sequencer must not slow the next); milliseconds from
    /// injection to answer.
    static func clickToAnswer(kind: String, presses: Int, perSecond: Int) async throws -> [Double] {
        let sim = try await SimHarness.start { $0.latency = .milliseconds(50) }
        let dataDir = try BenchSetup.scratchDirectory()
        defer { SequencerBenchmark.tearDown(sim, dataDir) }
        let process = try SequencerBenchmark.start(sim, dataDir: dataDir)
        defer { process.stop() }
        // Warm up: the cluster is up once a press is answered.
        _ = try await sim.inject([press("now:warm", chat: 999, id: "warm")])
        try await waitForAnswers(sim, count: 1, timeout: .seconds(60))
        var injected: [String: Double] = [:]
        let gap = Duration.milliseconds(1000 / perSecond)
        var next = ContinuousClock.now
        for i in 0..<presses {
            let id = "cq-\(i)"
            injected[id] = Date().timeIntervalSince1970
            _ = try await sim.inject([press("\(kind):\(i)", chat: Int64(1000 + i % 50), id: id)])
            next += gap
            try await Task.sleep(until: next)
        }
        try await waitForAnswers(sim, count: presses + 1, timeout: .seconds(120))
        var times: [Double] = []
        for call in try await sim.transcript() where call["method"] as? String == "answerCallbackQuery" {
            guard let params = call["params"] as? [String: Any], let id = params["callback_query_id"] as? String,
                  let at = injected[id], let t = call["time"] as? Double else { continue }
            times.append((t - at) * 1000)
        }
        return times
    }

    static func waitForAnswers(_ sim: SimHarness, count: Int, timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let answered = try await sim.transcript().filter { $0["method"] as? String == "answerCallbackQuery" }.count
            if answered >= count { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        print("  (timed out waiting for \(count) answers)")
    }
}
