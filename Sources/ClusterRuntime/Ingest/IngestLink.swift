import Bus
import Wire

/// How ingest's poller hands a batch to the broker and hears its answer: over ZeroMQ
/// (`BrokerLink`, an ingest process of its own) or by a call on the broker's bus thread
/// (`LocalIngestLink`, `run --ingest-in-broker`). The poller is the same for both.
protocol IngestLink: Sendable {
    /// Where the poller runs: the thread the broker's answers arrive on, so an ACK resumes it
    /// with no other thread woken.
    var executor: any TaskExecutor { get }

    /// Serves `guest` (the Bot API client's plain-HTTP loop) on that thread too: an answer of
    /// getUpdates is then read where the poller waits for it.
    func host(_ guest: any BusGuest)

    func takeBatchID() -> UInt64

    /// Hands the batch over once; the broker's answer (ACK or BUSY), or nil when none came
    /// within `timeout`. `holdJobs`: the broker holds the work back until `polling(batch)`.
    func send(_ batch: UInt64, _ envelopes: [UpdateEnvelope], holdJobs: Bool, timeout: Duration) async -> Frame?

    /// The poll that confirms `batch` to Telegram is on its way (see `Frame.polling`).
    func polling(_ batch: UInt64)

    /// Answers nil to every batch still waiting; nothing is handed over after it.
    func close()
}
