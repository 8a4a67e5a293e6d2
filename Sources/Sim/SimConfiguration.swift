/// How `tgcluster sim` behaves. Every key is a flag of `tgcluster sim` (see `--help`) and can be
/// changed while it runs with `POST /sim/config`.
public struct SimConfiguration: Sendable, Equatable {
    public enum FloodMode: String, Sendable, Equatable {
        /// Telegram's limits: ~1 message/s per chat, 20/min per group, 30/s per bot; 429 beyond.
        case telegram
        case off
    }

    /// Address to bind (`--host`); loopback unless told otherwise.
    public var host = "127.0.0.1"
    /// Port (`--port`); 0 picks a free one.
    public var port = 8081
    /// Accept only this token (`--token`); nil accepts any well-formed token.
    public var token: String?
    /// Added to every Bot API answer (`--latency`), the guide's "server location" as a dial.
    public var latency: Duration = .zero
    /// Uniform jitter around `latency` (`--jitter`).
    public var jitter: Duration = .zero
    public var flood: FloodMode = .telegram
    public var floodLimits = FloodLimiter.Limits()
    /// Fraction of Bot API calls answered with a 502 HTML page (`--fault-5xx`).
    public var fault5xx: Double = 0
    /// Fraction of calls whose connection is closed without an answer (`--fault-drop`).
    public var faultDrop: Double = 0
    /// Fraction of calls answered late, after `slowDelay` (`--fault-slow`, `--slow-delay`).
    public var faultSlow: Double = 0
    public var slowDelay: Duration = .seconds(2)
    /// Breaks the next `getUpdates` answers that carry updates (`/sim/config`
    /// `{"broken_updates":"truncated|huge","broken_updates_count":N}`): a test that the bot's
    /// ingest neither crashes nor skips an update on an answer it cannot use.
    public var brokenUpdates: BrokenUpdates?
    /// The first `update_id` (`--first-update-id`); Telegram starts at a random number.
    public var firstUpdateID: Int64 = 100_000_000
    /// How long a webhook request may take before it counts as failed (Telegram: 60 s).
    public var webhookTimeout: Duration = .seconds(60)
    /// The first webhook retry is immediate, the next ones wait this, doubling up to 60× it
    /// (Telegram: 2 s doubling to 60 s).
    public var webhookRetryBase: Duration = .seconds(2)
    /// Bot API calls kept in the transcript; older ones are dropped (counted in stats).
    public var transcriptLimit = 1_000_000
    /// Messages kept (for edits, deletes and replies); past it the oldest are forgotten, and
    /// editing one answers "message to edit not found". Bounds the emulator's memory in long
    /// runs (`scripts/bench scale` sends a million).
    public var messageLimit = 1_000_000

    public init() {}

    /// A broken `getUpdates` answer: `truncated` ends halfway (a connection cut mid-body), `huge`
    /// carries a first update of 12 MiB (past what a journal record holds).
    public struct BrokenUpdates: Sendable, Equatable {
        public enum Kind: String, Sendable {
            case truncated, huge
        }

        public var kind: Kind
        /// Answers still to break.
        public var count: Int

        public init(kind: Kind, count: Int) {
            self.kind = kind
            self.count = count
        }
    }
}
