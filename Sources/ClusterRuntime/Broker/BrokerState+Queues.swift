import BotAPI
import DequeModule
import Foundation
import Wire

/// The broker's queues, credit and peers: what the events of `BrokerState` do to them.
extension BrokerState {

    /// Queues an accepted update: serial ones for the sequencer, others behind their key.
    @discardableResult
    mutating func admit(_ update: UpdateEnvelope, _ r: Route, now: ContinuousClock.Instant) -> JobID {
        counters.accepted += 1
        let id = takeJobID()
        let payload = Job.Payload.update(handler: r.handler, update)
        if r.serial {
            jobs[id] = JobRecord(payload: payload, queue: .job(id), serial: true, accepted: now)
            serialQueue.append(id)
        } else {
            let queue: QueueKey = r.ordered ? (update.routingKey.map { .key($0.id) } ?? .job(id)) : .job(id)
            jobs[id] = JobRecord(payload: payload, queue: queue, serial: false, accepted: now, applies: r.applies)
            enqueue(id, on: queue)
        }
        return id
    }

    /// The first step of a two-step handler finished with a result: the same job, now its second
    /// step, goes to the sequencer (behind the serial work already queued), and the update's key
    /// stays held, so the chat's next job waits for the commit. Its attempts start again.
    mutating func forwardToSequencer(_ id: JobID, _ job: JobRecord, result: Data) {
        guard case .update(let handler, let envelope) = job.payload else { return }
        var next = job
        next.payload = .apply(handler: handler, envelope, result: result)
        next.serial = true
        next.applies = false
        next.holdsKey = true
        next.peer = nil
        next.attempts = 0
        next.quarantined = false
        jobs[id] = next
        serialQueue.append(id)
        if case .key = job.queue { heldForApply[job.queue] = 0 }
    }

    /// The job no longer holds its place: a pool key's next job may go, or a serial slot frees.
    mutating func letGo(_ job: JobRecord) {
        if job.serial { serialInFlight -= 1 }
        if job.holdsKey { heldForApply[job.queue] = nil }
        if !job.serial || job.holdsKey { release(job.queue) }
    }

    /// An outbox job from the sequencer: queued behind its key's earlier work, once per id.
    mutating func emit(_ e: Emission, from peer: PeerID, now: ContinuousClock.Instant) -> [Action] {
        if let outcome = outboxDone[e.outboxID] {
            return [.send(peer: peer, .emitted(outboxID: e.outboxID, outcome: outcome, output: Data()))]
        }
        if let held = outbox[e.outboxID] {
            // Sent again by a restarted sequencer: answer the new one when it finishes.
            if let i = jobs.index(forKey: held) { jobs.values[i].submitter = (peer, e.outboxID) }
            return []
        }
        let id = takeJobID()
        let queue: QueueKey = e.key.map { .key($0.id) } ?? .job(id)
        jobs[id] = JobRecord(payload: .outbox(id: e.outboxID, e.action), queue: queue, serial: false,
                             submitter: (peer, e.outboxID), accepted: now)
        outbox[e.outboxID] = id
        if let placed = heldForApply[queue], queues[queue] != nil {
            // The chat's two-step update is being applied (the sequencer sends a group's EMITs
            // before its DONEs): its replies go before the chat's next update, in their order.
            queues[queue]!.insert(id, at: min(placed, queues[queue]!.count))
            heldForApply[queue] = placed + 1
        } else {
            enqueue(id, on: queue)
        }
        return dispatch(now: now)
    }

    /// What the submitter of a finished job is told: RESULT for `runAsync`, EMITTED for the outbox.
    mutating func report(_ job: JobRecord, outcome: Outcome, output: Data) -> Action? {
        if case .outbox(let outboxID, _) = job.payload {
            outbox[outboxID] = nil
            outboxDone[outboxID] = outcome
            outboxDoneOrder.append(outboxID)
            if outboxDoneOrder.count > configuration.outboxWindow, let old = outboxDoneOrder.popFirst() { outboxDone[old] = nil }
        }
        guard let submitter = job.submitter else { return nil }
        if case .outbox(let outboxID, _) = job.payload {
            return .send(peer: submitter.peer, .emitted(outboxID: outboxID, outcome: outcome, output: output))
        }
        return .send(peer: submitter.peer, .result(taskID: submitter.taskID, outcome: outcome, output: output))
    }

    mutating func register(_ peer: PeerID, role: PeerRole, pid: UInt32, host: String, capacity: Int, now: ContinuousClock.Instant) -> [Action] {
        peers[peer] = Peer(role: role, pid: pid, host: host, capacity: capacity, lastSeen: now, lastSent: now, progressed: now)
        rotation.append(peer)
        return dispatch(now: now)
    }

    mutating func removePeer(_ peer: PeerID) {
        peers[peer] = nil
        rotation.removeAll { $0 == peer }
    }

    /// A peer is gone: its jobs go back to the head of their queues, or to the dead letters.
    mutating func expire(_ id: PeerID, _ peer: Peer, reason: String, now: ContinuousClock.Instant) -> [Action] {
        removePeer(id)
        var actions: [Action] = [.lost(peer: id, pid: peer.pid, role: peer.role, reason: reason, requeued: peer.inFlight.count)]
        for jobID in peer.inFlight.sorted(by: >) {
            guard var job = jobs[jobID] else { continue }
            if job.attempts >= configuration.maxAttempts {
                actions += giveUp(jobID, job, reason: "its worker died \(job.attempts) times (last: \(reason))")
                continue
            }
            job.peer = nil
            job.quarantined = true
            if job.serial { serialInFlight -= 1 }
            counters.requeued += 1
            jobs[jobID] = job
            if job.serial {
                serialQueue.prepend(jobID)
            } else {
                queues[job.queue, default: []].prepend(jobID)
                ready.prepend(job.queue)
            }
        }
        return actions
    }

    mutating func giveUp(_ id: JobID, _ job: JobRecord, reason: String) -> [Action] {
        jobs[id] = nil
        counters.deadLettered += 1
        var actions: [Action] = [.deadLetter(DeadLetter(job: Job(id: id.raw, attempt: job.attempts, payload: job.payload), reason: reason))]
        if let answer = report(job, outcome: .deadLettered, output: Data(reason.utf8)) { actions.append(answer) }
        if let envelope = job.payload.update { actions.append(.completed(updateID: envelope.updateID)) }
        letGo(job)
        return actions
    }

    /// A DONE from `peer`, whose record is at `slot` of `peers`.
    mutating func finish(_ id: JobID, outcome: Outcome, output: Data, from peer: PeerID, at slot: Dictionary<PeerID, Peer>.Index,
                         now: ContinuousClock.Instant, into actions: inout [Action]) {
        // In place by index: `peers[peer]?.inFlight.remove(id)` (an optional-chained mutation
        // through Dictionary's subscript) costs eight heap allocations per call in optimised
        // Swift 6.3, once per DONE (counted with `scripts/bench allocs`).
        peers.values[slot].inFlight.remove(id)
        peers.values[slot].progressed = now
        guard let i = jobs.index(forKey: id) else { return dispatch(now: now, into: &actions) }
        // Its holder compared in place: `$0.peer == peer` made an optional of `peer` and compared
        // the two through `Optional`'s `==` (~490 instructions a DONE).
        let (owned, quarantined, applies) = jobs.inPlace(i) { job in (job.peer?.isSame(as: peer) ?? false, job.quarantined, job.applies) }
        guard owned else { return dispatch(now: now, into: &actions) }
        if quarantined { peers.values[slot].exclusive = false }
        if applies && outcome == .ok && !output.isEmpty {
            forwardToSequencer(id, jobs.values[i], result: output)
        } else {
            // Moved out of the table, not copied (its payload and peers retained, then released).
            complete(id, jobs.remove(at: i).value, outcome: outcome, output: output, now: now, into: &actions)
            if jobs.isEmpty, lastJobDone() { actions.append(.burstOver) }
        }
        if let slot = peers.index(forKey: peer), peers.inPlace(slot, { $0.draining && $0.inFlight.isEmpty }) { removePeer(peer) }
        dispatch(now: now, into: &actions)
    }

    /// A job is done (its last step; already out of `jobs`): its submitter answered, its update
    /// completed, its place let go.
    private mutating func complete(_ id: JobID, _ job: JobRecord, outcome: Outcome, output: Data,
                                   now: ContinuousClock.Instant, into actions: inout [Action]) {
        if outcome == .ok { counters.completed += 1 } else { counters.failed += 1 }
        if let answer = report(job, outcome: outcome, output: output) { actions.append(answer) }
        if let envelope = job.payload.update {
            if outcome == .ok { counters.updatesCompleted += 1 } else { counters.updatesFailed += 1 }
            actions.append(.completed(updateID: envelope.updateID))
            latencies.append(now - job.accepted)
            if latencies.count > 10_000 { latencies.removeFirst() }
        }
        letGo(job)
    }

    /// The key's job is done (or gone): its next job, if any, may go.
    mutating func release(_ queue: QueueKey) {
        if queues[queue]?.isEmpty == false {
            ready.append(queue)
        } else {
            queues[queue] = nil
        }
    }

    /// Tables this large once the last job is gone were grown by a burst (a bucket of `jobs`
    /// is 224 bytes: 10,000 held jobs leave 3.7 MB of buckets, the 50,000 of `maxPending` 29 MB).
    static let burstCapacity = 4_096
    /// Jobs completed since the last `.burstOver` that make the next idle moment one: the
    /// allocator's walk of the broker's heap takes 1–2 ms, so once per 10,000 jobs at most
    /// (every 50 s at 200 updates/s, where every update leaves the broker idle).
    static let burstJobs = 10_000

    /// The last job held is done. A `Dictionary` or a `Deque` keeps its largest storage for
    /// good once emptied, and the allocator keeps the pages the burst freed until the broker's
    /// thread allocates again past its delay, so the broker's memory would stay at its busiest
    /// moment's (+2.5 to +10 MB after a wave of 100,000 updates from a cold start, by how far
    /// the workers fell behind). Tables past `burstCapacity` go back here (below it they are
    /// kept: at light load `jobs` empties after every update and keeps its few buckets); after
    /// `burstJobs` jobs, whether the service should return the freed pages (`.burstOver`).
    mutating func lastJobDone() -> Bool {
        if jobs.capacity > Self.burstCapacity {
            jobs = [:]
            if queues.isEmpty { queues = [:] }
            if ready.isEmpty { ready = [] }
            if serialQueue.isEmpty { serialQueue = [] }
        }
        let finished = counters.completed + counters.failed
        guard finished - finishedAtLastBurst >= Self.burstJobs else { return false }
        finishedAtLastBurst = finished
        return true
    }

    mutating func enqueue(_ id: JobID, on queue: QueueKey) {
        if let i = queues.index(forKey: queue) {
            // Busy or already waiting in `ready`: the job waits its turn behind the others (in
            // place: `existing + [id]` built a new deque of the chat's whole queue each time).
            queues.values[i].append(id)
        } else {
            queues[queue] = [id]
            ready.append(queue)
        }
    }

    /// Hands out work while there are free slots: the serial queue to the sequencer (in order,
    /// up to its credit; a quarantined job alone), the ready keys to pool workers in rotation.
    mutating func dispatch(now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        dispatch(now: now, into: &actions)
        return actions
    }

    /// `dispatch(now:)`, appending to an event's own actions: `actions += dispatch(now:)` built
    /// an array per DONE and copied a batch's hundred JOBs from one array into another (~1,400
    /// instructions per update, `scripts/bench instructions`).
    mutating func dispatch(now: ContinuousClock.Instant, into actions: inout [Action]) {
        if let wait = waitingForHandover {
            let until: ContinuousClock.Instant
            switch wait {
            case .pending:
                until = now + configuration.handoverWait
                waitingForHandover = .until(until)
            case .until(let t):
                until = t
            }
            guard now >= until else { return }
            waitingForHandover = nil
            actions.append(.handoverOver(finishedElsewhere: counters.handedOverFinished, adopted: counters.handedOverRunning,
                                         toRun: recovered.count))
            recovered = [:]
        }
        if let held = heldForPoll {
            guard now >= held.until else { return }
            heldForPoll = nil
            counters.pollHoldsExpired += 1
        }
        // (Looked for only with serial work waiting: the search costs a lookup per peer.)
        if !serialQueue.isEmpty, let sequencer = rotation.first(where: { peers[$0]?.role == .sequencer }) {
            while let next = serialQueue.first, let j = jobs.index(forKey: next), peers[sequencer]!.free > 0 {
                let quarantined = jobs.inPlace(j) { $0.quarantined }
                if quarantined && serialInFlight > 0 { break }
                serialQueue.removeFirst()
                actions.append(assign(next, to: sequencer, now: now))
                serialInFlight += 1
                if quarantined { break }
            }
        }
        var deferred: [QueueKey] = []
        while let queue = ready.popFirst() {
            guard let q = queues.index(forKey: queue), let head = queues.values[q].first, let j = jobs.index(forKey: head) else {
                if queues[queue]?.isEmpty == true { queues[queue] = nil }
                continue
            }
            let quarantined = jobs.inPlace(j) { $0.quarantined }
            let peer = quarantined ? idleWorker() : worker(now: now)
            guard let peer else {
                deferred.append(queue)
                // No free slot anywhere: nothing else can go either (an idle worker has slots).
                if !quarantined { break }
                // Let one worker run dry so that the quarantined job gets it.
                if !peers.values.contains(where: { $0.reserved }),
                   let busy = rotation.first(where: { peers[$0].map { $0.role == .worker && !$0.draining } ?? false }) {
                    peers[busy]!.reserved = true
                }
                continue
            }
            queues.values[q].removeFirst()
            actions.append(assign(head, to: peer, now: now))
        }
        // Back at the front, in order: not a new deque of every ready queue (one per chat with
        // work waiting) on each DONE that finds no second free slot.
        for queue in deferred.reversed() { ready.prepend(queue) }
    }

    /// The pool worker a job goes to, by `configuration.dispatch`.
    mutating func worker(now: ContinuousClock.Instant) -> PeerID? {
        switch configuration.dispatch {
        case .packed: firstWorkerWithFreeSlot(now: now)
        case .spread: nextWorkerWithFreeSlot()
        }
    }

    /// The first pool worker in rotation with a free slot that is not stalled; a stalled one
    /// only when no other has a slot (its jobs still count against its credit).
    ///
    /// Each peer read in place: `peers[peer]` copied its record (its in-flight set retained and
    /// released) for every peer looked at, once per job (~900 instructions an update).
    mutating func firstWorkerWithFreeSlot(now: ContinuousClock.Instant) -> PeerID? {
        let patience = configuration.stallAfter
        var stalled: PeerID?
        for peer in rotation {
            guard let i = peers.index(forKey: peer) else { continue }
            // nil: not a pool worker with a free slot.
            let isStalled = peers.inPlace(i) { p in p.role == .worker && p.free > 0 ? p.stalled(at: now, after: patience) : nil }
            guard let isStalled else { continue }
            guard isStalled else { return peer }
            if stalled == nil { stalled = peer }
        }
        return stalled
    }

    /// The next pool worker in rotation with a free slot (moved to the back).
    mutating func nextWorkerWithFreeSlot() -> PeerID? {
        for _ in 0..<rotation.count {
            let peer = rotation.removeFirst()
            rotation.append(peer)
            if let i = peers.index(forKey: peer), peers.inPlace(i, { $0.role == .worker && $0.free > 0 }) { return peer }
        }
        return nil
    }

    /// A pool worker with nothing in flight, for a quarantined job.
    func idleWorker() -> PeerID? {
        rotation.first { peers[$0].map { $0.role == .worker && $0.idle } ?? false }
    }

    mutating func assign(_ id: JobID, to peer: PeerID, now: ContinuousClock.Instant) -> Action {
        // One lookup of the job and one of the peer, not one per field.
        let (attempts, quarantined, payload) = jobs.inPlace(jobs.index(forKey: id)!) { job in
            job.attempts += 1
            job.peer = peer
            return (job.attempts, job.quarantined, job.payload)
        }
        // The peer's fields in one access in place: a read through `peers.values[slot]` copied
        // the whole peer (its sets retained and released) before reading one field.
        peers.inPlace(peers.index(forKey: peer)!) { p in
            if p.inFlight.isEmpty { p.progressed = now }
            p.inFlight.insert(id)
            if quarantined {
                p.exclusive = true
                p.reserved = false
            }
            p.lastSent = now
        }
        return .send(peer: peer, .job(Job(id: id.raw, attempt: attempts, payload: payload)))
    }

    static func hex(_ v: UInt64) -> String {
        let digits = String(v, radix: 16)
        return String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    mutating func takeJobID() -> JobID {
        defer { nextJobID += 1 }
        return JobID(nextJobID)
    }

    /// Records an update id; false if it was seen already.
    mutating func remember(_ id: Int64) -> Bool {
        seen.insert(id)
    }
}
