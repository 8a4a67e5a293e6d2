import Foundation
import Wire

/// What comes from ingest: a batch's fresh updates (for the journal first), the batch itself
/// (ACK or BUSY), POLLING for a held batch; and the updates the journal gives back at start.
extension BrokerState {
    /// The updates of a batch that `updates` would accept (not seen, handled by some handler),
    /// for the journal to make durable first; nothing is recorded but their routes, which the
    /// `updates` call for the same batch takes instead of routing each update again.
    package mutating func fresh(_ updates: [UpdateEnvelope]) -> [UpdateEnvelope] {
        routedByFresh.removeAll(keepingCapacity: true)
        if jobs.count + updates.count > configuration.maxPending { return [] }
        var ids = Set<UpdateIDKey>(minimumCapacity: updates.count)
        return updates.filter {
            guard $0.byteCount <= configuration.maxUpdateBytes, !seen.contains($0.updateID), ids.insert(UpdateIDKey($0.updateID)).inserted,
                  let r = route($0) else { return false }
            routedByFresh.append((updateID: $0.updateID, route: r))
            return true
        }
    }

    /// Updates read back from the journal at start: every id is remembered (Telegram may send
    /// them again), and the unfinished ones are queued again, in order. Nothing is dispatched
    /// for `handoverWait`: the workers' HANDOVERs say which of them finished or still run.
    package mutating func recover(unfinished: [UpdateEnvelope], seen ids: [Int64], now: ContinuousClock.Instant) -> [Action] {
        for id in ids { _ = remember(id) }
        for update in unfinished {
            guard let r = route(update) else { continue }
            let id = admit(update, r, now: now)
            if !r.serial { recovered[update.updateID] = id }
        }
        if !recovered.isEmpty {
            waitingForHandover = .pending
            return []
        }
        return dispatch(now: now)
    }

    /// A batch from ingest: accepted (ACK) or refused as too much (BUSY, nothing kept).
    /// `holdJobs` (a full page): if no work was waiting for a slot, none is handed out until
    /// `polling(batch)` or `pollHold`.
    package mutating func updates(_ batch: UInt64, _ updates: [UpdateEnvelope], from ingest: PeerID,
                                 holdJobs: Bool = false, now: ContinuousClock.Instant) -> [Action] {
        if jobs.count + updates.count > configuration.maxPending, !updates.isEmpty {
            counters.busy += 1
            let ms = configuration.busyRetry.components.seconds * 1000 + configuration.busyRetry.components.attoseconds / 1_000_000_000_000_000
            return [.answerIngest(peer: ingest, .busy(batch: batch, retryAfterMilliseconds: UInt32(ms)))]
        }
        var actions: [Action] = [.answerIngest(peer: ingest, .ack(batch: batch))]
        // Held only while the workers keep up (nothing waits for a slot): then the poll cycle
        // is what limits. With work already waiting the workers are, and a hold would idle them
        // (at 0 ms: −10% updates/s when every full page held).
        let keepingUp = holdJobs && queued == 0
        var routed = routedByFresh.startIndex
        for update in updates {
            guard remember(update.updateID) else {
                counters.duplicates += 1
                continue
            }
            var known: Route?
            if routed < routedByFresh.endIndex, routedByFresh[routed].updateID == update.updateID {
                known = routedByFresh[routed].route
                routed += 1
            }
            guard let r = known ?? route(update) else {
                counters.unhandled += 1
                continue
            }
            guard update.byteCount <= configuration.maxUpdateBytes else {
                counters.malformed += 1
                counters.deadLettered += 1
                let reason = "the update is \(update.byteCount) bytes, more than the journal holds (\(configuration.maxUpdateBytes)); not handled"
                actions.append(.deadLetter(DeadLetter(job: Job(id: takeJobID().raw, attempt: 0, payload: .update(handler: r.handler, update)), reason: reason)))
                continue
            }
            admit(update, r, now: now)
        }
        routedByFresh.removeAll(keepingCapacity: true)
        if keepingUp, queued > 0 {
            heldForPoll = (batch, now + configuration.pollHold)
            counters.pollHolds += 1
        }
        dispatch(now: now, into: &actions)
        return actions
    }

    /// Ingest's next poll, which confirms `batch` to Telegram, is on its way: what that batch
    /// held back goes out now.
    package mutating func polling(_ batch: UInt64, now: ContinuousClock.Instant) -> [Action] {
        guard heldForPoll?.batch == batch else { return [] }
        heldForPoll = nil
        return dispatch(now: now)
    }
}
