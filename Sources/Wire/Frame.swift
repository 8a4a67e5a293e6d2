import Foundation

/// The cluster's messages. Every message is `[header][command][arguments][payload...]` (a
/// ROUTER puts the peer's identity in front); the protocol is specified in docs/PROTOCOL.md.
///
/// Control traffic has commands and kinds of its own: a Bot API call from the outbox, a timer
/// firing, a dead-letter notice and a JobQueue change are never user job names.
public enum Frame: Sendable, Equatable {
    /// Worker or sequencer → broker: ready for `capacity` jobs at once, running this bot.
    case ready(Ready)
    /// Either way; any message also counts as a heartbeat.
    case heartbeat
    /// Either way: the sender is leaving (a draining worker, a stopping broker), or the broker
    /// does not know the peer (it must say READY again).
    case disconnect
    /// Broker → peer: not admitted (another bot's handler table); the peer must stop, not retry.
    case refuse(reason: String)
    /// Ingest → broker: a batch of updates to accept.
    case updates(batch: UInt64, [UpdateEnvelope])
    /// Broker → ingest: the batch is accepted (ingest may confirm it to Telegram).
    case ack(batch: UInt64)
    /// Broker → ingest: the queues are full; send the batch again after the delay.
    case busy(batch: UInt64, retryAfterMilliseconds: UInt32)
    /// Broker → worker or sequencer: run this.
    case job(Job)
    /// Worker → broker: the job finished.
    case done(jobID: UInt64, outcome: Outcome, output: Data)
    /// Worker → broker: a job is waiting on another; lend its slot (capacity + 1) meanwhile.
    case lend
    /// Worker → broker: the waiting job resumed; take the lent slot back (capacity − 1).
    case reclaim
    /// Worker → broker: run the named job in the pool (`runAsync`).
    case submit(taskID: UInt64, name: String, input: Data)
    /// Broker → the submitter: the submitted job or JobQueue change finished.
    case result(taskID: UInt64, outcome: Outcome, output: Data)
    /// Sequencer → broker: run a committed outbox row in the pool, after the earlier jobs of
    /// its routing key (sent again, with the same id, until EMITTED comes back).
    case emit(Emission)
    /// Broker → sequencer: the outbox row finished (or was given up).
    case emitted(outboxID: UInt64, outcome: Outcome, output: Data)
    /// Worker → broker → sequencer: apply a JobQueue change (JSON), once; answered by RESULT.
    case schedule(taskID: UInt64, change: Data)
    /// Worker or sequencer → broker: its figures (`PeerMetrics`, JSON), about once a second.
    case metrics(Data)
    /// Either way between the broker and a worker on another host: a chat's flood budget,
    /// before the JOB it goes with and before that job's DONE (see `FloodBudget`).
    case flood(FloodBudget)
    /// Worker → broker, after READY to a broker that forgot it: what it still runs and what it
    /// finished lately, so a new broker neither runs them again nor waits for them in vain.
    case handover(Handover)

    /// 3: typed control commands (REFUSE, SCHEDULE, outbox action kinds, dead-letter jobs) and
    /// the handler-table fingerprint in READY. 4: METRICS. 5: the peer's host in READY, FLOOD. 6: HANDOVER.
    /// 7: outbox action 3, an update passed on to a concurrent handler.
    public static let version: UInt8 = 7
    static let magic = Data("TGC".utf8)

    public static let header: Data = magic + Data([version])
    /// The command frames, made once: a one-byte `Data` built per message costs an array.
    private static let commandFrames: [Data] = (0...UInt8.max).map { Data([$0]) }

    /// The frames, header first; after `routing` (a ROUTER's peer identity) when given, so that
    /// a routed message is built as one array rather than joined from two.
    public func encoded(after routing: Data? = nil) -> [Data] {
        // Room for the fixed fields of any command (payloads go as frames of their own): an
        // empty writer allocated at the first field and again at the second (a DONE's id, then
        // its outcome byte; `scripts/bench allocsites`).
        var w = ByteWriter(capacity: 64)
        // The payload frames: one, or a batch's envelopes (no array of them built first).
        var single: Data?
        var envelopes: [UpdateEnvelope] = []
        switch self {
        case .ready(let ready):
            w.u32(ready.capacity)
            w.u8(ready.role.rawValue)
            w.u64(ready.fingerprint)
            w.u32(ready.pid)
            w.string(ready.program)
            w.string(ready.host)
        case .heartbeat, .disconnect, .lend, .reclaim:
            break
        case .refuse(let reason):
            w.string(reason)
        case .updates(let batch, let updates):
            w.u64(batch)
            envelopes = updates
        case .ack(let batch):
            w.u64(batch)
        case .busy(let batch, let ms):
            w.u64(batch)
            w.u32(ms)
        case .job(let job):
            single = job.encode(into: &w)
        case .done(let id, let outcome, let output), .result(let id, let outcome, let output), .emitted(let id, let outcome, let output):
            w.u64(id)
            w.u8(outcome.rawValue)
            single = output
        case .submit(let id, let name, let input):
            w.u64(id)
            w.string(name)
            single = input
        case .emit(let e):
            w.u64(e.outboxID)
            w.routingKey(e.key)
            single = e.action.encode(into: &w)
        case .schedule(let id, let change):
            w.u64(id)
            single = change
        case .metrics(let report):
            single = report
        case .flood(let budget):
            w.i64(budget.chatID)
            w.i64(budget.until)
        case .handover(let handover):
            handover.encode(into: &w)
        }
        var frames: [Data] = []
        frames.reserveCapacity(4 + (single == nil ? envelopes.count : 1))
        if let routing { frames.append(routing) }
        frames.append(Frame.header)
        frames.append(Self.commandFrames[Int(command.rawValue)])
        frames.append(w.data)
        if let single { frames.append(single) }
        for envelope in envelopes { frames.append(envelope.encoded) }
        return frames
    }

    /// Parses `[header][command][arguments][payload...]`; throws `FrameError` for anything else.
    public static func decode(_ frames: [Data]) throws(FrameError) -> Frame {
        try decode(frames[...])
    }

    /// Reads the parts in place (a message's frames, or a routed message's after the identity):
    /// no copy of the array per message. A concrete slice, not any collection: called from other
    /// modules, a generic parser is not specialised, and each element read through the protocol
    /// allocated (counted with `scripts/bench allocs`).
    public static func decode(_ frames: ArraySlice<Data>) throws(FrameError) -> Frame {
        guard frames.count >= 3 else { throw FrameError("expected header, command and arguments; got \(frames.count) frames") }
        let headerIndex = frames.startIndex
        let commandIndex = frames.index(after: headerIndex)
        let argumentsIndex = frames.index(after: commandIndex)
        let header = frames[headerIndex], commandFrame = frames[commandIndex]
        guard header.count == 4, header.prefix(3) == magic else { throw FrameError("not a tgcluster header") }
        guard header.last == version else { throw FrameError("protocol version \(header.last!) (this is \(version))") }
        guard commandFrame.count == 1, let command = Command(rawValue: commandFrame.first!) else { throw FrameError("unknown command") }
        var r = ByteReader(frames[argumentsIndex])
        let rest = frames[frames.index(after: argumentsIndex)...]
        if command.payloadFrames == 1, rest.count != 1 { throw FrameError("expected one payload frame, got \(rest.count)") }
        if command.payloadFrames == 0, !rest.isEmpty { throw FrameError("unexpected payload frames") }
        let payload = rest.first ?? Data()
        let frame: Frame
        switch command {
        case .ready:
            let capacity = try r.u32()
            guard let role = PeerRole(rawValue: try r.u8()) else { throw FrameError("unknown role") }
            let fingerprint = try r.u64()
            let pid = try r.u32()
            let program = try r.string()
            frame = .ready(Ready(capacity: capacity, role: role, fingerprint: fingerprint, program: program, pid: pid, host: try r.string()))
        case .heartbeat: frame = .heartbeat
        case .disconnect: frame = .disconnect
        case .refuse: frame = .refuse(reason: try r.string())
        case .updates:
            let batch = try r.u64()
            var updates: [UpdateEnvelope] = []
            updates.reserveCapacity(rest.count)
            for d in rest { updates.append(try UpdateEnvelope(decoding: d)) }
            frame = .updates(batch: batch, updates)
        case .ack: frame = .ack(batch: try r.u64())
        case .busy: frame = .busy(batch: try r.u64(), retryAfterMilliseconds: try r.u32())
        case .job: frame = .job(try Job(decoding: &r, payload: payload))
        case .done, .result, .emitted:
            let id = try r.u64()
            guard let outcome = Outcome(rawValue: try r.u8()) else { throw FrameError("unknown outcome") }
            frame = command == .done ? .done(jobID: id, outcome: outcome, output: payload)
                : command == .result ? .result(taskID: id, outcome: outcome, output: payload)
                : .emitted(outboxID: id, outcome: outcome, output: payload)
        case .lend: frame = .lend
        case .reclaim: frame = .reclaim
        case .submit:
            let id = try r.u64()
            frame = .submit(taskID: id, name: try r.string(), input: payload)
        case .emit:
            let id = try r.u64()
            let key = try r.routingKey()
            frame = .emit(Emission(outboxID: id, key: key, action: try OutboxAction.decode(&r, payload: payload)))
        case .schedule:
            frame = .schedule(taskID: try r.u64(), change: payload)
        case .metrics:
            frame = .metrics(payload)
        case .flood:
            frame = .flood(FloodBudget(chatID: try r.i64(), until: try r.i64()))
        case .handover:
            frame = .handover(try Handover(decoding: &r))
        }
        try r.expectEnd()
        return frame
    }

    var command: Command {
        switch self {
        case .ready: return .ready
        case .heartbeat: return .heartbeat
        case .disconnect: return .disconnect
        case .refuse: return .refuse
        case .updates: return .updates
        case .ack: return .ack
        case .busy: return .busy
        case .job: return .job
        case .done: return .done
        case .lend: return .lend
        case .reclaim: return .reclaim
        case .submit: return .submit
        case .result: return .result
        case .emit: return .emit
        case .emitted: return .emitted
        case .schedule: return .schedule
        case .metrics: return .metrics
        case .flood: return .flood
        case .handover: return .handover
        }
    }

    enum Command: UInt8 {
        case ready = 0x01, heartbeat = 0x02, disconnect = 0x03, refuse = 0x04
        case updates = 0x10, ack = 0x11, busy = 0x12
        case job = 0x20, done = 0x21, lend = 0x22, reclaim = 0x23
        case submit = 0x30, result = 0x31, emit = 0x32, emitted = 0x33, schedule = 0x34
        case metrics = 0x40, flood = 0x41, handover = 0x42

        /// Payload frames after the arguments: one, none, or any number (-1, UPDATES).
        var payloadFrames: Int {
            switch self {
            case .updates: return -1
            case .job, .done, .submit, .result, .emit, .emitted, .schedule, .metrics: return 1
            default: return 0
            }
        }
    }
}
