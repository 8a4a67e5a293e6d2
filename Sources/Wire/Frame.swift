import Foundation

/// The cluster's messages. Every message is one ZeroMQ frame, `header | command | arguments |
/// payload` (a ROUTER puts the peer's identity in front, as a frame of its own); the protocol is
/// specified in docs/PROTOCOL.md.
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
    /// Ingest → broker: a batch of updates to accept. `holdJobs`: the batch filled a
    /// getUpdates page (Telegram holds more), and ingest says POLLING once its next poll is on
    /// its way; the broker hands out no work meanwhile, so that the poll cycle, which caps the
    /// cluster's throughput at a real distance to Telegram, does not wait for cores the batch's
    /// replies hold.
    case updates(batch: UInt64, [UpdateEnvelope], holdJobs: Bool = false)
    /// Ingest → broker: the batch is acknowledged and the getUpdates that confirms it to
    /// Telegram is on its way: work held for it may go.
    case polling(batch: UInt64)
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
    /// 7: outbox action 3, an update passed on to a concurrent handler. 8: one ZeroMQ frame per
    /// message (header, command, arguments and payload together). 9: where an update's text
    /// lies, beside each envelope in UPDATES and in JOB kind 0 (`TextPosition`). 10: UPDATES'
    /// flags (hold the jobs) and POLLING. 11: BUNDLE (a round's messages for one peer in one).
    public static let version: UInt8 = 11
    static let magic = Data("TGC".utf8)
    /// `magic` as the top three bytes of the header read as a big-endian `UInt32`.
    static let magicWord: UInt32 = magic.reduce(0) { $0 << 8 | UInt32($1) }
    /// UPDATES' flags byte: hold the batch's jobs until POLLING.
    static let holdJobsFlag: UInt8 = 0x01

    public static let header: Data = magic + Data([version])
    /// `header` as one big-endian integer, "TGC" and the version, a constant: written with one
    /// store (the `Data` behind a lazy global cost a frame ~100 instructions to reach and copy).
    static let headerWord: UInt32 = 0x5447_4300 | UInt32(version)

    /// The message, as one ZeroMQ frame; after `routing` (a ROUTER's peer identity) when given.
    ///
    /// One frame, not a frame per part: libzmq's cost is per frame on both sides (a message
    /// of five frames took five `zmq_msg_recv`, five allocations of a `Data` and five passes
    /// through its pipes), and a JOB or a DONE, the two messages of every update, were five
    /// frames each (`scripts/bench instructions`). Copying an update's few hundred bytes into
    /// the message costs less than one frame did.
    public func encoded(after routing: Data? = nil) -> [Data] {
        let bytes = encodedMessage()
        if let routing { return [routing, bytes] }
        return [bytes]
    }

    private func encodedMessage() -> Data {
        var w = ByteWriter(capacity: sizeEstimate)
        encode(into: &w)
        return w.data
    }

    /// About the bytes `encode(into:)` writes: exact but for a job's payload and an outbox
    /// action, which are decided as they are written (room for one allocation, not a bound).
    package var sizeEstimate: Int { 64 + payloadSize }

    /// Writes the message at the end of `w`: `header | command | arguments | payload`; a
    /// single payload runs to the end of the message, an UPDATES batch's envelopes each
    /// follow their u32 length. (`PeerBundles` writes a round's frames for a peer into its
    /// BUNDLE this way, no `Data` made for each.)
    package func encode(into w: inout ByteWriter) {
        w.u32(Frame.headerWord)
        w.u8(command.rawValue)
        var single: Data?
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
        case .updates(let batch, let updates, let holdJobs):
            w.u64(batch)
            w.u8(holdJobs ? Self.holdJobsFlag : 0)
            for envelope in updates {
                w.textPosition(envelope.textPosition)
                w.blob { envelope.encode(into: &$0) }
            }
        case .ack(let batch), .polling(let batch):
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
        if let single { w.bytes(single) }
    }

    /// The bytes of the payload, for the writer's one allocation (an estimate for a job,
    /// whose payload is decided as it is written).
    private var payloadSize: Int {
        switch self {
        case .updates(_, let updates, _): updates.reduce(0) { $0 + 36 + $1.byteCount }
        case .job(let job): job.payloadSize
        case .done(_, _, let output), .result(_, _, let output), .emitted(_, _, let output): output.count
        case .submit(_, _, let input): input.count
        case .schedule(_, let change): change.count
        case .metrics(let report): report.count
        case .emit: 256
        default: 0
        }
    }

    /// Parses a message (one frame: `header | command | arguments | payload`); throws
    /// `FrameError` for anything else.
    public static func decode(_ frames: [Data]) throws(FrameError) -> Frame {
        try decode(frames[...])
    }

    /// A message's frames, or a routed message's after the identity (a concrete slice, not any
    /// collection: called from other modules, a generic parser is not specialised, and each
    /// element read through the protocol allocated; `scripts/bench allocs`).
    public static func decode(_ frames: ArraySlice<Data>) throws(FrameError) -> Frame {
        guard frames.count == 1, let message = frames.first else { throw FrameError("expected one frame, got \(frames.count)") }
        return try decode(message: message)
    }

    /// Parses one message's bytes.
    public static func decode(message: Data) throws(FrameError) -> Frame {
        try ByteReader.reading(message) { r throws(FrameError) in try decode(&r, message) }
    }

    private static func decode(_ r: inout ByteReader, _ message: Data) throws(FrameError) -> Frame {
        // The header as one integer: "TGC" and the version (two slices of the message and their
        // comparison cost ~490 instructions a message).
        let header = try r.u32()
        guard header >> 8 == magicWord else { throw FrameError("not a tgcluster header") }
        let peerVersion = UInt8(truncatingIfNeeded: header)
        guard peerVersion == version else { throw FrameError("protocol version \(peerVersion) (this is \(version))") }
        guard let command = Command(rawValue: try r.u8()) else { throw FrameError("unknown command") }
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
            let flags = try r.u8()
            guard flags & ~Self.holdJobsFlag == 0 else { throw FrameError("unknown UPDATES flags \(flags)") }
            var updates: [UpdateEnvelope] = []
            // Each envelope copied out: a slice would keep the whole batch alive for as long
            // as its slowest update waits in a chat's queue.
            while !r.isAtEnd {
                let text = try r.textPosition()
                updates.append(try UpdateEnvelope(decoding: r.blob(), textPosition: text))
            }
            frame = .updates(batch: batch, updates, holdJobs: flags & Self.holdJobsFlag != 0)
        case .ack: frame = .ack(batch: try r.u64())
        case .polling: frame = .polling(batch: try r.u64())
        case .busy: frame = .busy(batch: try r.u64(), retryAfterMilliseconds: try r.u32())
        case .job: frame = .job(try Job(decoding: &r))
        case .done, .result, .emitted:
            let id = try r.u64()
            guard let outcome = Outcome(rawValue: try r.u8()) else { throw FrameError("unknown outcome") }
            let output = r.payload()
            frame = command == .done ? .done(jobID: id, outcome: outcome, output: output)
                : command == .result ? .result(taskID: id, outcome: outcome, output: output)
                : .emitted(outboxID: id, outcome: outcome, output: output)
        case .lend: frame = .lend
        case .reclaim: frame = .reclaim
        case .submit:
            let id = try r.u64()
            let name = try r.string()
            frame = .submit(taskID: id, name: name, input: r.payload())
        case .emit:
            let id = try r.u64()
            let key = try r.routingKey()
            frame = .emit(Emission(outboxID: id, key: key, action: try OutboxAction.decode(&r)))
        case .schedule:
            frame = .schedule(taskID: try r.u64(), change: r.payload())
        case .metrics:
            frame = .metrics(r.payload())
        case .flood:
            frame = .flood(FloodBudget(chatID: try r.i64(), until: try r.i64()))
        case .handover:
            frame = .handover(try Handover(decoding: &r))
        case .bundle:
            // The bus takes bundles apart before delivery (`Frame.unbundle`): one here is damaged.
            _ = try unbundle(message)
            throw FrameError("a BUNDLE the bus did not take apart")
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
        case .polling: return .polling
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
        case ready = 0x01, heartbeat = 0x02, disconnect = 0x03, refuse = 0x04, bundle = 0x05
        case updates = 0x10, ack = 0x11, busy = 0x12, polling = 0x13
        case job = 0x20, done = 0x21, lend = 0x22, reclaim = 0x23
        case submit = 0x30, result = 0x31, emit = 0x32, emitted = 0x33, schedule = 0x34
        case metrics = 0x40, flood = 0x41, handover = 0x42
    }
}
