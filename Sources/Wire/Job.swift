import Foundation

/// A unit of work handed to a worker or the sequencer (JOB).
public struct Job: Sendable, Equatable {
    public enum Payload: Sendable, Equatable {
        /// Run handler number `handler` of the bot on this update.
        case update(handler: UInt16, UpdateEnvelope)
        /// Run the bot's job named `name` on `input` (`runAsync`).
        case task(name: String, input: Data)
        /// A committed outbox row of the sequencer; its id is the idempotency key.
        case outbox(id: UInt64, OutboxAction)
        /// Tell the bot's error handler that a job was given up on.
        case deadLetter(DeadLetterNotice)
        /// Apply a change to the JobQueue (the sequencer only; JSON of the change).
        case schedule(Data)
        /// The second step of a two-step handler (`prepare` in the pool, then `apply` in the
        /// sequencer): apply `result`, what its first step returned for this update.
        case apply(handler: UInt16, UpdateEnvelope, result: Data)

        enum Kind: UInt8 {
            case update = 0, task = 1, outbox = 2, deadLetter = 3, schedule = 4, apply = 5
        }

        /// The update a job handles (its first or its second step), if it is one.
        public var update: UpdateEnvelope? {
            switch self {
            case .update(_, let envelope), .apply(_, let envelope, _): return envelope
            default: return nil
            }
        }
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

    /// The update a first step handles (an update job's), read without copying its envelope;
    /// nil for other jobs.
    public var updateID: Int64? {
        guard case .update(_, let envelope) = payload else { return nil }
        return envelope.updateID
    }

    /// The chat of an update job (its routing key), whose flood budget goes where the job goes;
    /// nil for other jobs and for updates routed by user.
    public var updateChatID: Int64? {
        guard case .update(_, let envelope) = payload, case .chat(let chat)? = envelope.routingKey else { return nil }
        return chat
    }

    func encode(into w: inout ByteWriter) -> Data {
        w.u64(id)
        w.u8(attempt)
        switch payload {
        case .update(let handler, let envelope):
            w.u8(Payload.Kind.update.rawValue)
            w.u16(handler)
            w.textPosition(envelope.textPosition)
            return envelope.encoded
        case .task(let name, let input):
            w.u8(Payload.Kind.task.rawValue)
            w.string(name)
            return input
        case .outbox(let outboxID, let action):
            w.u8(Payload.Kind.outbox.rawValue)
            w.u64(outboxID)
            return action.encode(into: &w)
        case .deadLetter(let notice):
            w.u8(Payload.Kind.deadLetter.rawValue)
            w.optionalI64(notice.updateID)
            w.string(notice.reason)
            return notice.update
        case .schedule(let change):
            w.u8(Payload.Kind.schedule.rawValue)
            return change
        case .apply(let handler, let envelope, let result):
            w.u8(Payload.Kind.apply.rawValue)
            w.u16(handler)
            w.blob(result)
            return envelope.encoded
        }
    }

    /// The payload's size, for the writer of a message that carries this job.
    var payloadSize: Int {
        switch payload {
        case .update(_, let envelope): 32 + envelope.byteCount
        case .task(_, let input): input.count
        case .outbox: 256
        case .deadLetter(let notice): notice.update.count
        case .schedule(let change): change.count
        case .apply(_, let envelope, let result): 32 + envelope.byteCount + result.count
        }
    }

    /// Reads the fields, then the payload: the rest of the message.
    init(decoding r: inout ByteReader) throws(FrameError) {
        id = try r.u64()
        attempt = try r.u8()
        guard let kind = Payload.Kind(rawValue: try r.u8()) else { throw FrameError("unknown job kind") }
        switch kind {
        case .update:
            let handler = try r.u16()
            let text = try r.textPosition()
            payload = .update(handler: handler, try UpdateEnvelope(decoding: r.rest(), textPosition: text))
        case .task:
            let name = try r.string()
            payload = .task(name: name, input: r.payload())
        case .outbox:
            let outboxID = try r.u64()
            payload = .outbox(id: outboxID, try OutboxAction.decode(&r))
        case .deadLetter:
            let updateID = try r.optionalI64()
            let reason = try r.string()
            payload = .deadLetter(DeadLetterNotice(updateID: updateID, reason: reason, update: r.payload()))
        case .schedule:
            payload = .schedule(r.payload())
        case .apply:
            let handler = try r.u16()
            let result = try r.blob()
            payload = .apply(handler: handler, try UpdateEnvelope(decoding: r.rest()), result: result)
        }
    }
}
