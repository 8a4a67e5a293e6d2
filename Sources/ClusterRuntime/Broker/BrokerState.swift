import BotAPI
import Wire
import DequeModule
import Foundation

/// The broker's logic as a pure state machine: events in (a batch from ingest, a frame from a
/// worker, a clock tick), actions out (frames to send, dead letters). No sockets, no clock.
///
/// - Deduplicates updates by `update_id` (a window of recent ids).
/// - Routes each update by the first matching handler: serial ones to the sequencer, in
///   `update_id` order, as many at once as its credit allows (it commits them in groups);
///   concurrent ones to the pool.
/// - Runs the sequencer's committed outbox jobs (EMIT) in the pool, in emission order per
///   key, once per outbox id while it holds or recently finished them; EMITTED reports back.
/// - Keeps one routing key's (chat's) updates in order across the pool: a key has at most one
///   job in flight; different keys run concurrently. Unordered handlers and named jobs skip it.
/// - Gives no peer more jobs than its capacity (credit); a waiting job lends its slot. Fills
///   the first worker that is making progress before the next (`DispatchPolicy.packed`), or
///   hands jobs out in turn (`.spread`).
/// - Expires a silent peer after `liveness` heartbeat intervals and requeues its jobs at the
///   head of their keys. A requeued job is quarantined: it runs alone on a worker from then
///   on, so a poison update that kills its process is dead-lettered after `maxAttempts`
///   deliveries while the innocent jobs that shared its first process finish normally.
/// - Bounds what it holds: a batch that would exceed `maxPending` is answered BUSY.
package struct BrokerState: Sendable {
    package struct Configuration: Sendable {
        package var heartbeatInterval: Duration = .seconds(1)
        /// Intervals of silence after which a peer is dead.
        package var liveness = 3
        /// Deliveries of one job before it is dead-lettered.
        package var maxAttempts: UInt8 = 3
        /// Jobs held (queued and in flight) before ingest is told BUSY.
        package var maxPending = 50_000
        package var busyRetry: Duration = .milliseconds(200)
        /// Update ids remembered for deduplication: the newest 2^20 (a 128 KiB bitmap, see
        /// `UpdateIDWindow`).
        package var dedupeWindow = 1 << 20
        /// Finished outbox jobs remembered, so a sequencer that re-sends one after a restart
        /// is answered at once instead of running it twice.
        package var outboxWindow = 100_000
        /// The fingerprint of the broker's own handler tables; a READY with another is refused.
        /// nil admits any peer (tests of the state machine alone).
        package var fingerprint: UInt64?
        /// The broker's program name, for the refusal that names both sides.
        package var program = ""
        /// The first job id. A restarted broker starts from the wall clock in microseconds, so
        /// its ids never meet those of the broker before it: a late DONE of an old job cannot
        /// finish a new job of the same number, and adopted jobs keep their ids.
        package var firstJobID: UInt64 = 1
        /// How long recovered updates wait for the workers' HANDOVER before they run again
        /// (workers say READY again within a heartbeat or two of a new broker; the broker's
        /// service waits the liveness interval, 3 heartbeats).
        package var handoverWait: Duration = .seconds(3)
        /// An update larger than the journal can read back (its records hold 4 MiB) is
        /// dead-lettered at intake instead of journaled: a record the reader would take for
        /// damage would lose it at the next recovery. (Telegram's are far smaller; a webhook
        /// with a raised `--max-body`, or a hostile source, can send one.)
        package var maxUpdateBytes = JournalRecord.maxLength - 1024
        /// How long a batch that asked for it (a full getUpdates page) holds the work back
        /// when ingest's POLLING does not come (ingest stopped or died between the two): the
        /// hold normally ends at POLLING, a millisecond or so after the ACK.
        package var pollHold: Duration = .milliseconds(20)
        /// Which worker a pool job goes to (`DispatchPolicy`).
        package var dispatch = DispatchPolicy.packed
        /// Under `.packed`, a worker with jobs in flight that has finished none and lent no slot
        /// for this long is passed over while another has a free slot. Longer than a Bot API
        /// call takes (Telegram answers in 50–300 ms), shorter than a user notices.
        package var stallAfter: Duration = .milliseconds(500)

        package init() {}
    }

    /// Where an update goes: which handler, which process kind, and whether it keeps its chat's order.
    package struct Route: Sendable, Equatable {
        package var handler: UInt16
        package var serial: Bool
        package var ordered: Bool
        /// A two-step handler: a first step's result (DONE's output, unless empty) becomes a
        /// serial job that applies it, and the update's key stays held until that commits.
        package var applies: Bool

        package init(handler: UInt16, serial: Bool, ordered: Bool, applies: Bool = false) {
            self.handler = handler
            self.serial = serial
            self.ordered = ordered
            self.applies = applies
        }
    }

    package enum Action: Sendable, Equatable {
        /// Send `frame` to peer `peer` (a worker or sequencer).
        case send(peer: PeerID, Frame)
        /// Answer ingest `peer`.
        case answerIngest(peer: PeerID, Frame)
        /// Give up on a job: record it with the reason.
        case deadLetter(DeadLetter)
        /// A peer was declared gone; `requeued` of its jobs went back to the queues. The
        /// supervisor of its host kills `pid` if it still runs (a hung or stopped process).
        case lost(peer: PeerID, pid: UInt32, role: PeerRole, reason: String, requeued: Int)
        /// A peer was not admitted (REFUSE sent); it runs nothing.
        case refused(peer: PeerID, reason: String)
        /// An update's job is over (done, failed or dead-lettered): journal its completion.
        case completed(updateID: Int64)
        /// The wait for HANDOVERs after a recovery is over: how many recovered updates workers
        /// said were finished, how many still ran (adopted), and how many run now.
        case handoverOver(finishedElsewhere: Int, adopted: Int, toRun: Int)
        /// The last job held is done after a burst (`lastJobDone`): the process's allocator
        /// may give the burst's freed pages back to the system now.
        case burstOver
    }

    package struct DeadLetter: Sendable, Equatable {
        package var job: Job
        package var reason: String
    }

    package struct Counters: Sendable, Equatable {
        package var accepted = 0
        package var duplicates = 0
        package var unhandled = 0
        package var completed = 0
        package var failed = 0
        package var requeued = 0
        package var deadLettered = 0
        package var busy = 0
        package var malformed = 0
        /// Of `completed` and `failed`: the jobs that were updates.
        package var updatesCompleted = 0
        package var updatesFailed = 0
        /// Recovered updates a worker's HANDOVER said were finished (not run again) or still
        /// running (adopted, not run twice).
        package var handedOverFinished = 0
        package var handedOverRunning = 0
        /// Batches whose jobs waited for ingest's POLLING; of them, those released by
        /// `pollHold` because POLLING did not come.
        package var pollHolds = 0
        package var pollHoldsExpired = 0
    }

    package let configuration: Configuration
    let route: @Sendable (UpdateEnvelope) -> Route?

    var jobs: [JobID: JobRecord] = [:]
    var queues: [QueueKey: Deque<JobID>] = [:]
    var ready = Deque<QueueKey>()
    var serialQueue = Deque<JobID>()
    var serialInFlight = 0
    /// Keys held by a two-step handler's second step in the sequencer, with how many of the
    /// outbox jobs emitted meanwhile went to the front of the key's queue (its replies go
    /// before the chat's next update).
    var heldForApply: [QueueKey: Int] = [:]
    /// Outbox id → job id, for the outbox jobs held.
    var outbox: [UInt64: JobID] = [:]
    /// Outbox ids finished recently, with how they ended.
    var outboxDone: [UInt64: Outcome] = [:]
    var outboxDoneOrder = Deque<UInt64>()
    var peers: [PeerID: Peer] = [:]
    /// When `tick` last ran, to tell the broker's own stalls from silent peers.
    var lastTick: ContinuousClock.Instant?
    var rotation = Deque<PeerID>()
    var nextJobID: UInt64 = 1
    var seen: UpdateIDWindow
    /// A full page's batch, whose jobs wait until ingest's POLLING says the poll that confirms it
    /// is on its way (or `pollHold` passes): nil when nothing is held.
    var heldForPoll: (batch: UInt64, until: ContinuousClock.Instant)?
    /// After a recovery, dispatching waits for HANDOVERs (see `HandoverWait`); nil: not waiting.
    var waitingForHandover: HandoverWait?
    /// Recovered pool updates not yet dispatched, by update id, while the wait lasts.
    var recovered: [Int64: JobID] = [:]
    /// The routes `fresh` found, in the batch's order, for the `updates` call that follows it
    /// with the same batch: routing scans the update's JSON, and each update was routed twice.
    /// (A list, not a table by update id: `updates` walks the batch in the same order.)
    var routedByFresh: [(updateID: Int64, route: Route)] = []
    package internal(set) var counters = Counters()
    /// `counters.completed + counters.failed` at the last `.burstOver` (see `lastJobDone`).
    var finishedAtLastBurst = 0
    /// From acceptance to completion, of the last 10,000 update jobs. Kept as durations and
    /// turned into milliseconds once a second for the two the status file shows: a conversion
    /// per update divided a 128-bit count (~190 instructions an update).
    package internal(set) var latencies = Deque<Duration>()

    package init(configuration: Configuration = .init(), route: @escaping @Sendable (UpdateEnvelope) -> Route?) {
        self.configuration = configuration
        self.route = route
        seen = UpdateIDWindow(capacity: configuration.dedupeWindow)
        nextJobID = configuration.firstJobID
    }

    /// Jobs held: queued or in flight.
    package var pending: Int { jobs.count }
    /// Jobs waiting for a slot (pool and sequencer).
    package var queued: Int { jobs.count - inFlight }
    package var inFlight: Int { peers.values.reduce(0) { $0 + $1.inFlight.count } }
    package var peerCount: Int { peers.count }

    /// One peer as `tgcluster status` shows it.
    package struct PeerSummary: Sendable, Equatable {
        package var peer: PeerID
        package var role: PeerRole
        package var pid: UInt32
        package var host: String
        package var capacity: Int
        package var inFlight: Int
    }

    /// Every peer, by identity.
    /// When the oldest update not yet finished was accepted (a walk over the jobs held).
    package var oldestPendingUpdate: ContinuousClock.Instant? {
        var oldest: ContinuousClock.Instant?
        for job in jobs.values {
            guard job.payload.update != nil else { continue }
            if oldest.map({ job.accepted < $0 }) ?? true { oldest = job.accepted }
        }
        return oldest
    }

    package var peerSummary: [PeerSummary] {
        peers.map { PeerSummary(peer: $0.key, role: $0.value.role, pid: $0.value.pid, host: $0.value.host, capacity: $0.value.capacity, inFlight: $0.value.inFlight.count) }
            .sorted { $0.peer.bytes.lexicographicallyPrecedes($1.peer.bytes) }
    }

    // MARK: - Events

    /// A frame from a worker or the sequencer.
    package mutating func received(_ frame: Frame, from peer: PeerID, now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        received(frame, from: peer, now: now, into: &actions)
        return actions
    }

    /// `received`, appending to the caller's actions: the broker's service keeps one array for
    /// every message it reads, and a DONE (one per update) then allocates none (its array was
    /// ~300 instructions a DONE, `scripts/bench instructions`).
    package mutating func received(_ frame: Frame, from peer: PeerID, now: ContinuousClock.Instant, into actions: inout [Action]) {
        guard case .done(let id, let outcome, let output) = frame, let slot = peers.index(forKey: peer) else {
            actions += other(frame, from: peer, now: now)
            return
        }
        peers.values[slot].lastSeen = now
        finish(JobID(id), outcome: outcome, output: output, from: peer, at: slot, now: now, into: &actions)
    }

    /// Every frame but a known peer's DONE.
    private mutating func other(_ frame: Frame, from peer: PeerID, now: ContinuousClock.Instant) -> [Action] {
        if case .ready(let ready) = frame {
            let capacity = ready.capacity, role = ready.role
            if let own = configuration.fingerprint, ready.fingerprint != own {
                let reason = "handler tables differ: the peer runs \(ready.program.isEmpty ? "?" : ready.program) (fingerprint "
                    + "\(Self.hex(ready.fingerprint))), the broker runs \(configuration.program.isEmpty ? "?" : configuration.program) "
                    + "(fingerprint \(Self.hex(own))); every process of a cluster must run the same build of the same bot"
                var actions: [Action] = [.send(peer: peer, .refuse(reason: reason)), .refused(peer: peer, reason: reason)]
                if let known = peers[peer] { actions += expire(peer, known, reason: "refused", now: now) }
                return actions
            }
            var actions: [Action] = []
            if role == .sequencer {
                // There is one sequencer (it holds the store's lock): a new one means the old
                // one is gone, and the serial jobs it held must go to the new one first, in order.
                for (id, old) in peers where id != peer && old.role == .sequencer {
                    actions += expire(id, old, reason: "replaced by a new sequencer", now: now)
                }
            }
            if peers[peer] != nil {
                // The same identity again: not a restart (a restarted process has a new
                // identity, `<role>-<pid>-<random>`) but a peer that lost track of the broker
                // for a while. Its jobs are still running: keep them.
                peers[peer]!.capacity = Int(capacity)
                peers[peer]!.lastSeen = now
                return actions + dispatch(now: now)
            }
            return actions + register(peer, role: role, pid: ready.pid, host: ready.host, capacity: Int(capacity), now: now)
        }
        guard let slot = peers.index(forKey: peer) else {
            // Unknown (the broker restarted, or the peer expired): ask it to say READY again;
            // to a DISCONNECT, the same word is the answer a draining peer waits for.
            return [.send(peer: peer, .disconnect)]
        }
        peers.values[slot].lastSeen = now
        switch frame {
        case .heartbeat, .metrics, .flood:
            // Heard; what metrics and budgets carry is the service's (`BrokerService`).
            return []
        case .disconnect:
            // Answered: every job this peer will get left before the answer (one pipe, in
            // order), so once it has the answer and nothing runs, it may leave.
            peers.values[slot].draining = true
            if peers.values[slot].inFlight.isEmpty { removePeer(peer) }
            return [.send(peer: peer, .disconnect)] + dispatch(now: now)
        case .done(let id, let outcome, let output):
            // `received(into:)` takes a known peer's DONE itself; this path only if one comes here.
            var actions: [Action] = []
            finish(JobID(id), outcome: outcome, output: output, from: peer, at: slot, now: now, into: &actions)
            return actions
        case .lend:
            peers.values[slot].capacity += 1
            peers.values[slot].progressed = now
            return dispatch(now: now)
        case .reclaim:
            peers.values[slot].capacity = max(0, peers.values[slot].capacity - 1)
            return []
        case .submit(let taskID, let name, let input):
            let id = takeJobID()
            jobs[id] = JobRecord(payload: .task(name: name, input: input), queue: .job(id), serial: false,
                                 submitter: (peer, taskID), accepted: now)
            enqueue(id, on: .job(id))
            return dispatch(now: now)
        case .schedule(let taskID, let change):
            // JobQueue changes go to the sequencer, in order with the serial updates.
            let id = takeJobID()
            jobs[id] = JobRecord(payload: .schedule(change), queue: .job(id), serial: true, submitter: (peer, taskID), accepted: now)
            serialQueue.append(id)
            return dispatch(now: now)
        case .emit(let e):
            return emit(e, from: peer, now: now)
        case .handover(let handover):
            return take(handover, from: peer, now: now)
        default:
            counters.malformed += 1
            return []
        }
    }

    /// A peer that may no longer talk to the broker (its key left the allow-list): told so, and
    /// its jobs go to others.
    package mutating func revoke(_ peer: PeerID, reason: String, now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = [.send(peer: peer, .refuse(reason: reason))]
        if let known = peers[peer] {
            actions.append(.refused(peer: peer, reason: reason))
            actions += expire(peer, known, reason: reason, now: now)
            actions += dispatch(now: now)
        }
        return actions
    }

    /// A job the broker itself starts in the pool (the error handler's notice of a dead letter).
    package mutating func submit(_ payload: Job.Payload, now: ContinuousClock.Instant) -> [Action] {
        let id = takeJobID()
        jobs[id] = JobRecord(payload: payload, queue: .job(id), serial: false, accepted: now)
        enqueue(id, on: .job(id))
        return dispatch(now: now)
    }

    /// The clock: expire silent peers, send heartbeats to quiet ones.
    ///
    /// Silence is counted in time the broker was listening. A tick that comes much later than
    /// the one before means the broker itself did not run (a starved CPU, a stopped process):
    /// its peers' heartbeats are still queued unread, so the gap is forgiven rather than blamed
    /// on every peer at once, which would requeue the work of healthy workers and run it twice.
    package mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        let deadline = configuration.heartbeatInterval * configuration.liveness
        if let last = lastTick, now - last > configuration.heartbeatInterval {
            let stall = now - last - configuration.heartbeatInterval / 2
            for id in peers.keys { peers[id]!.lastSeen = min(now, peers[id]!.lastSeen + stall) }
        }
        lastTick = now
        for (id, peer) in peers where now - peer.lastSeen > deadline {
            actions += expire(id, peer, reason: "silent for \(configuration.liveness) heartbeats", now: now)
        }
        for (id, peer) in peers where now - peer.lastSent >= configuration.heartbeatInterval {
            peers[id]!.lastSent = now
            actions.append(.send(peer: id, .heartbeat))
        }
        actions += dispatch(now: now)
        return actions
    }
}
