import ArgumentParser
import BotAPI
import ClusterRuntime
import Foundation
import Sim

/// `tgcluster replay updates.jsonl`: feeds a capture into an emulator at its recorded pace (or
/// faster), waits for the bot to go idle, writes the transcript of the bot's calls and compares
/// it with an expected one: golden tests of a bot from real traffic.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay",
        abstract: "Replay captured updates into a Bot API emulator; write and compare the bot's transcript.",
        discussion: """
        Without --api-url an emulator is started here (flood limits off) and, with --bot, the bot too, with \
        TELEGRAM_API_URL, TELEGRAM_BOT_TOKEN and a fresh TGCLUSTER_DATA_DIR pointing at it. \
        --expect compares per chat, in order, ignoring dates, message ids and other per-run values; \
        a difference prints a diff and exits 1.
        """)

    @Argument(help: "A capture: one {\"received_at\": …, \"update\": {…}} per line (tgcluster capture export).")
    var file: String
    @Option(name: .customLong("api-url"), help: "An emulator the bot already talks to (default: start one).") var apiURL: String?
    @Option(help: "The bot token for the started emulator.") var token = "123456789:REPLAY-token_0123456789"
    @Option(help: "The bot to run against the started emulator, as a shell command (e.g. \".build/release/echobot run --workers 2\").")
    var bot: String?
    @Option(help: "1x (recorded pacing), 10x, any Nx, or max.") var speed = "max"
    @Option(help: "Write the bot's calls here, one JSON object per line.") var transcript: String?
    @Option(help: "Compare the bot's calls with this transcript.") var expect: String?
    @Option(help: "Idle: no new call for this long after the last update was delivered.") var idle = "1500ms"
    @Option(help: "Give up after this long.") var timeout = "300s"

    func run() async throws {
        let factor: Double?
        if speed == "max" { factor = nil } else if speed.hasSuffix("x"), let f = Double(speed.dropLast()), f > 0 { factor = f } else {
            throw ValidationError("--speed must be max or Nx (1x, 10x, ...)")
        }
        let idleFor = try DurationText.parse(idle, flag: "idle")
        let limit = try DurationText.parse(timeout, flag: "timeout")
        let entries = readCapture()
        var server: SimServer?
        let base: String
        if let apiURL {
            base = apiURL
        } else {
            var configuration = SimConfiguration()
            configuration.port = 0
            configuration.flood = .off
            let s = try await SimServer(configuration: configuration, threads: 2)
            server = s
            base = s.baseURL
            FileHandle.standardError.write(Data("replay: emulator at \(base)\n".utf8))
        }
        let http = CurlMultiLoop()
        let control = SimControlClient(baseURL: base, http: http)
        var child: (pid: pid_t, dataDir: String)?
        defer {
            if let child {
                ChildProcess.terminate(child.pid, grace: .seconds(30))
                try? FileManager.default.removeItem(atPath: child.dataDir)
            }
            http.shutdown()
        }
        let started = ContinuousClock.now
        if let bot {
            child = try await startBot(bot, base: base, ownEmulator: server != nil, control: control)
        }
        let before = try await control.transcript().count
        try await feed(entries, factor: factor, control: control)
        try await waitUntilIdle(control: control, started: started, limit: limit, idle: idleFor)
        let calls = Array(try await control.transcript().dropFirst(before))
        FileHandle.standardError.write(Data("replay: \(entries.count) updates, \(calls.count) calls by the bot\n".utf8))
        if let transcript { try write(calls, to: transcript) }
        try? await server?.shutdown()
        if let expect { try compare(calls, with: expect) }
    }

    /// The capture's updates with the time each was received.
    private func readCapture() -> [(receivedAt: Double, update: Any)] {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: file)).split(separator: 10).filter { !$0.isEmpty }.map { line in
                guard let o = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let u = o["update"] else {
                    throw TranscriptError("a capture line has no update")
                }
                return ((o["received_at"] as? Double) ?? 0, u)
            }
        } catch {
            CLI.fail("cannot read \(file): \(error)")
        }
    }

    /// Starts the bot against the emulator at `base` with a fresh data directory; returns once
    /// it has polled.
    private func startBot(_ bot: String, base: String, ownEmulator: Bool, control: SimControlClient) async throws -> (pid: pid_t, dataDir: String) {
        let started = ContinuousClock.now
        let dir = NSTemporaryDirectory() + "tgc-replay-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_API_URL"] = base
        env["TELEGRAM_BOT_TOKEN"] = token
        env["TGCLUSTER_DATA_DIR"] = dir
        // The started emulator keeps no flood limits (replay runs at full speed); the bot
        // need not either, unless told.
        if ownEmulator, env["TGCLUSTER_FLOOD"] == nil { env["TGCLUSTER_FLOOD"] = "off" }
        let log = dir + "/bot.log"
        // A clean start (default signals, empty mask): the bot must hear the SIGTERM that
        // stops it, and this command runs on a thread that blocks signals.
        let pid = try ChildProcess.spawn(["-c", "exec " + bot], environment: env, executable: "/bin/sh", output: log,
                                         newProcessGroup: false)
        // Ready when it has polled once.
        while try await control.calls(of: "getUpdates") == 0 {
            if let exited = ChildProcess.reap(pid) {
                CLI.fail("the bot exited (\(exited.code.map { "status \($0)" } ?? "signal \(exited.signal ?? 0)")) before polling; its log: \(log)")
            }
            guard ContinuousClock.now - started < .seconds(60) else {
                ChildProcess.terminate(pid, grace: .seconds(5))
                CLI.fail("the bot did not poll within 60 s")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (pid, dir)
    }

    /// Injects the updates in batches of up to 100, at the recorded pace divided by `factor`
    /// (as fast as possible without one).
    private func feed(_ entries: [(receivedAt: Double, update: Any)], factor: Double?, control: SimControlClient) async throws {
        var progress = Progress(total: entries.count)
        let t0 = entries.first?.receivedAt ?? 0
        let feedStart = ContinuousClock.now
        func due(_ i: Int) -> ContinuousClock.Instant {
            feedStart + .milliseconds(Int64((entries[i].receivedAt - t0) / (factor ?? 1) * 1000))
        }
        var i = 0
        while i < entries.count {
            var batch: [Any] = []
            if factor != nil { try await Task.sleep(until: due(i)) }
            while i < entries.count, batch.count < 100, factor == nil || due(i) <= .now {
                batch.append(entries[i].update)
                i += 1
            }
            try await control.inject(batch)
            progress.advance(to: i)
        }
        progress.finish()
    }

    /// Idle: everything delivered, and no new call for `idle`.
    private func waitUntilIdle(control: SimControlClient, started: ContinuousClock.Instant, limit: Duration, idle: Duration) async throws {
        var last = -1
        var quietSince = ContinuousClock.now
        while true {
            guard ContinuousClock.now - started < limit else { CLI.fail("the bot did not go idle within \(timeout)") }
            let pending = try await control.pending()
            let count = try await control.transcript().count
            if count != last || pending > 0 {
                last = count
                quietSince = .now
            } else if ContinuousClock.now - quietSince >= idle {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The calls as JSON lines: method, params, ok.
    private func write(_ calls: [[String: Any]], to path: String) throws {
        var out = Data()
        for call in calls {
            let kept = call.filter { ["method", "params", "ok"].contains($0.key) }
            out.append(try JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys, .withoutEscapingSlashes]))
            out.append(10)
        }
        try out.write(to: URL(fileURLWithPath: path))
    }

    /// Compares per chat, in order; a difference is printed and exits 1.
    private func compare(_ calls: [[String: Any]], with path: String) throws {
        let expected = try TranscriptComparison.read(jsonl: Data(contentsOf: URL(fileURLWithPath: path)))
        let diff = TranscriptComparison.differences(expected: expected, actual: calls)
        if !diff.isEmpty {
            print("replay: the transcript differs from \(path):")
            for line in diff { print(line) }
            throw ExitCode(1)
        }
        print("replay: the transcript matches \(path) (\(calls.count) calls)")
    }

    /// A bar on a terminal, plain lines every 10% otherwise.
    struct Progress {
        let total: Int
        let terminal = isatty(2) != 0
        var lastTenth = -1

        init(total: Int) { self.total = total }

        mutating func advance(to n: Int) {
            if terminal {
                let width = 30, filled = total == 0 ? width : width * n / total
                FileHandle.standardError.write(Data("\rreplay [\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(n)/\(total)".utf8))
            } else {
                let tenth = total == 0 ? 10 : n * 10 / total
                if tenth != lastTenth {
                    lastTenth = tenth
                    FileHandle.standardError.write(Data("replay: \(n)/\(total) updates fed\n".utf8))
                }
            }
        }

        func finish() {
            if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }
}
