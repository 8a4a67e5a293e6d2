import BotAPI
import Bus
import Wire
import Foundation
import Logging
import Locking
import Synchronization

/// An ingest process's line to the broker: UPDATES out, ACK or BUSY back, matched by batch id.
/// Shared by long polling (one batch at a time) and the webhook (a batch per request, many at
/// once).
final class BrokerLink: IngestLink {
    private let bus: BusLoop
    private let logger: Logger
    private let batches = Mutex(BatchWaiters())

    init(configuration: ClusterConfiguration, context: ZMQContext, logger: Logger) throws {
        self.logger = logger
        try LinkSecurity.checkLocal(configuration.ingestSocket, flag: "--ingest-endpoint", configuration, logger: logger)
        bus = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "ingest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))",
                                                             connect: [configuration.ingestSocket])],
                          tick: configuration.heartbeat, inline: true)
        let bus = self.bus
        // Answers are matched on the bus thread itself: an ACK resumes the poller without a
        // hop through another task.
        bus.attach { [weak self, logger] message in
            // Between batches (a long poll can last 50 s), so the broker knows ingest runs; and
            // the batches whose wait is over hear nil. A clock on the tick, not a sleeping task
            // per batch: that task outlived its batch's ACK and woke a thread of the pool once
            // per batch, seconds later (at 200 updates/s, 200 wake-ups a second for nothing).
            if message.isTick {
                bus.send(Frame.heartbeat.encoded(), on: 0)
                self?.expire(now: .now)
                return
            }
            guard let frame = try? Frame.decode(message.frames) else {
                logger.warning("dropped a frame that does not parse")
                return
            }
            switch frame {
            case .ack(let batch), .busy(let batch, _): self?.answer(batch, frame)
            default: return
            }
        }
    }

    /// The bus thread as a task executor (see `BusLoop`'s): where the long-polling loop runs.
    var executor: any TaskExecutor { bus }

    func host(_ guest: any BusGuest) {
        bus.host(guest)
    }

    func takeBatchID() -> UInt64 {
        batches.locked { $0.takeID() }
    }

    /// Sends the batch once; the broker's answer (ACK or BUSY), or nil once `timeout` has
    /// passed (seen on the bus's tick: up to one heartbeat later). `holdJobs`: the broker holds
    /// the work back until `polling(batch)`. After `close`, nil after a pause, as a silent
    /// broker's would be (it waited forever before: its bus, stopped, had no tick to end it).
    func send(_ batch: UInt64, _ envelopes: [UpdateEnvelope], holdJobs: Bool = false, timeout: Duration) async -> Frame? {
        let frames = Frame.updates(batch: batch, envelopes, holdJobs: holdJobs).encoded()
        let reply = await withCheckedContinuation { (continuation: CheckedContinuation<Frame?, Never>) in
            guard batches.locked({ $0.wait(batch, continuation, until: .now + timeout) }) else {
                return continuation.resume(returning: nil)
            }
            bus.send(frames, on: 0)
        }
        if reply == nil, batches.locked({ $0.isClosed }) { try? await Task.sleep(for: min(timeout, .seconds(1))) }
        return reply
    }

    /// Tells the broker that the poll confirming `batch` is on its way (see `Frame.polling`).
    func polling(_ batch: UInt64) {
        bus.send(Frame.polling(batch: batch).encoded(), on: 0)
    }

    private func answer(_ batch: UInt64, _ frame: Frame?) {
        batches.locked { $0.answer(batch) }?.resume(returning: frame)
    }

    /// Answers nil to every batch whose deadline has passed.
    private func expire(now: ContinuousClock.Instant) {
        for waiter in batches.locked({ $0.expire(now: now) }) { waiter.resume(returning: nil) }
    }

    func close() {
        bus.shutdown()
        for waiter in batches.locked({ $0.close() }) { waiter.resume(returning: nil) }
    }
}
