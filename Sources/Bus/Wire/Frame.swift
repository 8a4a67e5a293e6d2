import BotAPI
import Foundation

/// The cluster's messages. Every message is `[header][command][arguments...]` (a ROUTER puts
/// the peer's identity in front); the protocol is specified in docs/PROTOCOL.md.
public enum Frame: Sendable, Equatable {
    /// Worker or sequencer → broker: ready for `capacity` jobs at once.
    case ready(capacity: UInt32, role: PeerRole)
    /// Either way; any message also counts as a heartbeat.
    case heartbeat
    /// Either way: the sender is leaving (a draining worker, a stopping broker).
    case disconnect
    /// Ingest → broker: a batch of updates to accept.
    case updates(batch: UInt64, [UpdateEnvelope])
    /// Broker → ingest: the batch is accepted (ingest may confirm it to Telegram).
    case ack(batch: UInt64)
    /// Broker → ingest: the queues are full; send the batch again after the delay.
    case busy(batch: UInt64, retryAfterMilliseconds: UInt32)
    /// Broker → worker: run this.
    case job(Job)
    /// Worker → broker: the job finished.
    case done(jobID: UInt64, outcome: Outcome, output: Data)
    /// Worker → broker: a job is waiting on another; lend its slot (capacity + 1) meanwhile.
    case lend
    /// Worker → broker: the waiting job resumed; take the lent slot back (capacity − 1).
    case reclaim
    /// Worker or sequencer → broker: run the named job in the pool (`runAsync`).
    case submit(taskID: UInt64, name: String, input: Data)
    /// Broker → the submitter: the named job finished.
    case result(taskID: UInt64, outcome: Outcome, output: Data)
    /// Sequencer → broker: run a committed outbox job in the pool, after the earlier jobs of
    /// its routing key (sent again, with the same id, until EMITTED comes back).
    case emit(Emission)
    /// Broker → sequencer: the outbox job finished (or was given up).
    case emitted(outboxID: UInt64, outcome: Outcome, output: Data)

    /// 2: the sequencer's outbox (EMIT, EMITTED, outbox jobs).
    public static let version: UInt8 = 2
    static let magic = Data("TGC".utf8)

    public var header: Data { Frame.magic + Data([Frame.version]) }

    /// The frames, header first.
    public func encoded() -> [Data] {
        var w = ByteWriter()
        var extra: [Data] = []
        let command: Command
        switch self {
        case .ready(let capacity, let role):
            command = .ready
            w.u32(capacity)
            w.u8(role.rawValue)
        case .heartbeat: command = .heartbeat
        case .disconnect: command = .disconnect
        case .updates(let batch, let updates):
            command = .updates
            w.u64(batch)
            extra = updates.map(\.encoded)
        case .ack(let batch):
            command = .ack
            w.u64(batch)
        case .busy(let batch, let ms):
            command = .busy
            w.u64(batch)
            w.u32(ms)
        case .job(let job):
            command = .job
            w.u64(job.id)
            w.u8(job.attempt)
            switch job.payload {
            case .update(let handler, let envelope):
                w.u8(0)
                w.u16(handler)
                extra = [envelope.encoded]
            case .task(let name, let input):
                w.u8(1)
                w.shortString(name)
                extra = [input]
            case .outbox(let outboxID, let name, let input):
                w.u8(2)
                w.u64(outboxID)
                w.shortString(name)
                extra = [input]
            }
        case .done(let id, let outcome, let output):
            command = .done
            w.u64(id)
            w.u8(outcome.rawValue)
            extra = [output]
        case .lend: command = .lend
        case .reclaim: command = .reclaim
        case .submit(let id, let name, let input):
            command = .submit
            w.u64(id)
            w.shortString(name)
            extra = [input]
        case .result(let id, let outcome, let output):
            command = .result
            w.u64(id)
            w.u8(outcome.rawValue)
            extra = [output]
        case .emit(let e):
            command = .emit
            w.u64(e.outboxID)
            w.routingKey(e.key)
            w.shortString(e.name)
            extra = [e.input]
        case .emitted(let id, let outcome, let output):
            command = .emitted
            w.u64(id)
            w.u8(outcome.rawValue)
            extra = [output]
        }
        return [header, Data([command.rawValue]), w.data] + extra
    }

    /// Parses `[header][command][arguments...]`; throws `FrameError` for anything else.
    public static func decode<C: Collection<Data>>(_ frames: C) throws(FrameError) -> Frame {
        let parts = Array(frames)
        guard parts.count >= 3 else { throw FrameError("expected header, command and arguments; got \(parts.count) frames") }
        guard parts[0].count == 4, parts[0].prefix(3) == magic else { throw FrameError("not a tgcluster header") }
        guard parts[0].last == version else { throw FrameError("protocol version \(parts[0].last!) (this is \(version))") }
        guard parts[1].count == 1, let command = Command(rawValue: parts[1].first!) else { throw FrameError("unknown command") }
        var r = ByteReader(parts[2])
        let rest = parts.dropFirst(3)
        func one() throws(FrameError) -> Data {
            guard rest.count == 1 else { throw FrameError("expected one payload frame, got \(rest.count)") }
            return rest.first!
        }
        let frame: Frame
        switch command {
        case .ready:
            let capacity = try r.u32()
            guard let role = PeerRole(rawValue: try r.u8()) else { throw FrameError("unknown role") }
            frame = .ready(capacity: capacity, role: role)
        case .heartbeat: frame = .heartbeat
        case .disconnect: frame = .disconnect
        case .updates:
            let batch = try r.u64()
            var updates: [UpdateEnvelope] = []
            for d in rest { updates.append(try UpdateEnvelope(decoding: d)) }
            frame = .updates(batch: batch, updates)
        case .ack: frame = .ack(batch: try r.u64())
        case .busy: frame = .busy(batch: try r.u64(), retryAfterMilliseconds: try r.u32())
        case .job:
            let id = try r.u64()
            let attempt = try r.u8()
            switch try r.u8() {
            case 0:
                let handler = try r.u16()
                frame = .job(Job(id: id, attempt: attempt, payload: .update(handler: handler, try UpdateEnvelope(decoding: try one()))))
            case 1:
                let name = try r.shortString()
                frame = .job(Job(id: id, attempt: attempt, payload: .task(name: name, input: try one())))
            case 2:
                let outboxID = try r.u64()
                let name = try r.shortString()
                frame = .job(Job(id: id, attempt: attempt, payload: .outbox(id: outboxID, name: name, input: try one())))
            default:
                throw FrameError("unknown job kind")
            }
        case .done:
            let id = try r.u64()
            guard let outcome = Outcome(rawValue: try r.u8()) else { throw FrameError("unknown outcome") }
            frame = .done(jobID: id, outcome: outcome, output: try one())
        case .lend: frame = .lend
        case .reclaim: frame = .reclaim
        case .submit:
            let id = try r.u64()
            let name = try r.shortString()
            frame = .submit(taskID: id, name: name, input: try one())
        case .result:
            let id = try r.u64()
            guard let outcome = Outcome(rawValue: try r.u8()) else { throw FrameError("unknown outcome") }
            frame = .result(taskID: id, outcome: outcome, output: try one())
        case .emit:
            let id = try r.u64()
            let key = try r.routingKey()
            let name = try r.shortString()
            frame = .emit(Emission(outboxID: id, key: key, name: name, input: try one()))
        case .emitted:
            let id = try r.u64()
            guard let outcome = Outcome(rawValue: try r.u8()) else { throw FrameError("unknown outcome") }
            frame = .emitted(outboxID: id, outcome: outcome, output: try one())
        }
        try r.expectEnd()
        switch frame {
        case .updates, .job, .done, .submit, .result, .emit, .emitted: break
        default: guard rest.isEmpty else { throw FrameError("unexpected payload frames") }
        }
        return frame
    }

    enum Command: UInt8 {
        case ready = 0x01, heartbeat = 0x02, disconnect = 0x03
        case updates = 0x10, ack = 0x11, busy = 0x12
        case job = 0x20, done = 0x21, lend = 0x22, reclaim = 0x23
        case submit = 0x30, result = 0x31, emit = 0x32, emitted = 0x33
    }
}

/// What a peer is to the broker.
public enum PeerRole: UInt8, Sendable {
    case worker = 0
    case sequencer = 1
}

/// How a job ended.
public enum Outcome: UInt8, Sendable {
    /// Finished; `output` is its result.
    case ok = 0
    /// The handler threw: reported to the error handler, not retried (output: the error text).
    case failed = 1
    /// Given up after its attempts (the worker running it died each time, or it hung).
    case deadLettered = 2
}

/// A unit of work handed to a worker.
public struct Job: Sendable, Equatable {
    public enum Payload: Sendable, Equatable {
        /// Run handler number `handler` of the bot on this update.
        case update(handler: UInt16, UpdateEnvelope)
        /// Run the bot's job named `name` on `input`.
        case task(name: String, input: Data)
        /// A job from the sequencer's outbox: like `task`, with the outbox id as an idempotency key.
        case outbox(id: UInt64, name: String, input: Data)
    }

    public var id: UInt64
    /// 1 for the first delivery; more after the worker running it died.
    public var attempt: UInt8
    public var payload: Payload

    public init(id: UInt64, attempt: UInt8, payload: Payload) {
        self.id = id
        self.attempt = attempt
        self.payload = payload
    }
}

/// A job a serial handler emitted, committed in the sequencer's outbox.
public struct Emission: Sendable, Equatable {
    /// The outbox row: stable across re-sends, so the broker runs it once while it lives.
    public var outboxID: UInt64
    /// Jobs of one key run in emission order (and after that chat's earlier updates).
    public var key: RoutingKey?
    public var name: String
    public var input: Data

    public init(outboxID: UInt64, key: RoutingKey?, name: String, input: Data) {
        self.outboxID = outboxID
        self.key = key
        self.name = name
        self.input = input
    }
}
