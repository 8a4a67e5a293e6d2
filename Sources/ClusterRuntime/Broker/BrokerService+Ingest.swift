import Bus
import Wire
import Foundation

/// What comes from ingest, whether by its socket or from the poller in this process
/// (`LocalIngestLink`): a batch is journaled before the state machine takes it, and its ACK
/// leaves once the fsync covering it is done.
extension BrokerService {
    /// UPDATES or POLLING from `peer`. `appended`: set when the journal took the batch.
    func ingest(_ frame: Frame, from peer: PeerID, state: inout BrokerState, now: ContinuousClock.Instant,
                appended: inout Journal.Ticket?) -> [BrokerState.Action] {
        telemetry.heardFromIngest(now)
        if case .polling(let batch) = frame { return state.polling(batch, now: now) }
        guard case .updates(let batch, let updates, let holdJobs) = frame else { return [] }
        let fresh = state.fresh(updates)
        if !fresh.isEmpty {
            do {
                appended = try journal.append(accepted: fresh)
            } catch {
                logger.error("journal: cannot write; intake stops until it can (ingest keeps the batch)",
                             metadata: ["error": "\(error)", "batch": "\(batch)"])
                telemetry.journal(failing: true)
                return [.answerIngest(peer: peer, .busy(batch: batch, retryAfterMilliseconds: 1000))]
            }
        }
        telemetry.journal(failing: false)
        return state.updates(batch, updates, from: peer, holdJobs: holdJobs, now: now)
    }

    /// The local poller's frame, on the bus thread between the loop's rounds (what it hands
    /// out leaves in the same round).
    func intakeLocal(_ frame: Frame, _ loop: Loop) {
        let now = ContinuousClock.now
        var appended: Journal.Ticket?
        let actions = ingest(frame, from: LocalIngestLink.peer, state: &loop.state, now: now, appended: &appended)
        perform(actions, state: &loop.state, now: now, appended: appended)
    }

    /// ACK or BUSY to ingest: its socket, or the local poller. Only what the journal has on
    /// disk is acknowledged: the batch's own write (its fsync started when it was appended),
    /// or, for a batch of updates already seen, everything written so far.
    func answerIngest(_ peer: PeerID, _ frame: Frame, appended: Journal.Ticket?) {
        let answer: @Sendable () -> Void
        if let local = localIngest, peer == LocalIngestLink.peer {
            guard let batch = frame.ingestBatch else { return }
            answer = { local.answer(batch, frame) }
        } else {
            let bus = self.bus
            // Encoded here, not on the fsync thread that may send it.
            let frames = frame.encoded(after: peer.bytes)
            answer = { bus.send(frames, on: Self.ingestSocket) }
        }
        guard case .ack = frame else { return answer() }
        if let appended { journal.whenDurable(after: appended, answer) } else { journal.whenDurable(answer) }
    }
}

private extension Frame {
    /// The batch an ACK or BUSY answers.
    var ingestBatch: UInt64? {
        switch self {
        case .ack(let batch), .busy(let batch, _): batch
        default: nil
        }
    }
}
