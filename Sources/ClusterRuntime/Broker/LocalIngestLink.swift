import Bus
import Wire
import Foundation
import Synchronization

/// The broker's side of an ingest in its own process (`run --ingest-in-broker`): the poller
/// runs on the broker's bus thread, between the loop's rounds, and hands each batch to the
/// broker's state machine by a call, not a frame; the ACK resumes it from the journal's fsync
/// thread. Against an ingest on ZeroMQ's inproc transport this takes a batch's frame encode
/// and decode and two thread wake-ups per cycle off the poll cycle (the broker's bus thread for
/// UPDATES, ingest's own for the ACK), and a thread and a socket out of the process.
final class LocalIngestLink: IngestLink {
    /// The identity the broker's tables know this ingest by; no socket has it.
    static let peer = PeerID("tgcluster-local-ingest")

    private let bus: BusLoop
    /// The broker's intake while its loop runs: the frame through the state machine, on the
    /// bus thread (set by `BrokerService.run`); false once the loop has finished its drain.
    /// Boxed: a bare closure in the lock came out of each `locked` (a generic `inout`) wrapped
    /// in two more reabstraction thunks and went back in, so every batch called through every
    /// earlier batch's thunks (`theIntake_isCalledAtTheSameDepth_afterManyBatches`).
    private let intake = Mutex<Intake?>(nil)
    private struct Intake {
        let take: @Sendable (Frame) -> Bool
    }
    private let batches = Mutex(BatchWaiters())

    init(bus: BusLoop) {
        self.bus = bus
    }

    var executor: any TaskExecutor { bus }

    /// The broker's loop starts (`intake`) or has stopped (nil).
    func attach(_ intake: (@Sendable (Frame) -> Bool)?) {
        self.intake.locked { $0 = intake.map(Intake.init) }
    }

    func host(_ guest: any BusGuest) {
        bus.host(guest)
    }

    func takeBatchID() -> UInt64 {
        batches.locked { $0.takeID() }
    }

    /// Runs the batch through the broker at once when called on its bus thread (the poller
    /// prefers it); answers nil otherwise (the broker's loop has stopped), after a pause as a
    /// silent broker's would be, so that the poller's retries do not spin.
    func send(_ batch: UInt64, _ envelopes: [UpdateEnvelope], holdJobs: Bool, timeout: Duration) async -> Frame? {
        let frame = Frame.updates(batch: batch, envelopes, holdJobs: holdJobs)
        let reply = await withCheckedContinuation { (continuation: CheckedContinuation<Frame?, Never>) in
            guard batches.locked({ $0.wait(batch, continuation) }) else { return continuation.resume(returning: nil) }
            if !deliver(frame) { answer(batch, nil) }
        }
        if reply == nil { try? await Task.sleep(for: min(timeout, .seconds(1))) }
        return reply
    }

    /// Delivered by a task of its own on the bus thread, which runs once the poller has
    /// written its next request and waits for the answer: the held batch's hundred JOBs (and
    /// the workers they wake) come after the request, not before it (delivered at once, they
    /// put 0.26 ms of sends between the ACK and the request, and the cycle gained nothing).
    func polling(_ batch: UInt64) {
        Task(executorPreference: bus) { [self] in _ = deliver(.polling(batch: batch)) }
    }

    /// The broker's answer to `batch` (from its bus thread, or the fsync thread for an ACK).
    func answer(_ batch: UInt64, _ frame: Frame?) {
        batches.locked { $0.answer(batch) }?.resume(returning: frame)
    }

    func close() {
        for waiter in batches.locked({ $0.close() }) { waiter.resume(returning: nil) }
    }

    /// Whether the broker took `frame`: only on its bus thread while its loop runs, where the
    /// state machine may be touched (a batch it did not take is answered nil, never left waiting).
    private func deliver(_ frame: Frame) -> Bool {
        guard bus.isCurrentThread, !batches.locked({ $0.isClosed }), let intake = intake.locked({ $0 }) else { return false }
        return intake.take(frame)
    }
}
