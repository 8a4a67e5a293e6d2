import Foundation

/// What an outbox row asks the pool to do once its update has committed. Each is its own kind
/// on the wire, never a job name with a reserved prefix.
public enum OutboxAction: Sendable, Equatable {
    /// The bot's named job (`runAsync` from a serial handler).
    case job(name: String, input: Data)
    /// One Bot API call (`reply`, `send` from a serial handler): the method, its JSON
    /// parameters, and the update whose handler made it (for the error handler, should it fail).
    case call(method: String, parameters: Data, updateID: Int64?)
    /// A scheduled job came due: run its timer callback.
    case fire(TimerFiring)
    /// The bot's handler `index` for `update`: an update a serial handler passed on to a
    /// concurrent one (a conversation that did not want it), run after the commit in its
    /// chat's order.
    case handler(index: UInt16, update: Data)

    enum Kind: UInt8 {
        case job = 0, call = 1, fire = 2, handler = 3
    }

    var kind: Kind {
        switch self {
        case .job: return .job
        case .call: return .call
        case .fire: return .fire
        case .handler: return .handler
        }
    }

    /// Arguments into `w`; the bulk (input, parameters, timer payload) is the payload, written
    /// after them.
    func encode(into w: inout ByteWriter) -> Data {
        w.u8(kind.rawValue)
        switch self {
        case .job(let name, let input):
            w.string(name)
            return input
        case .call(let method, let parameters, let updateID):
            w.string(method)
            w.optionalI64(updateID)
            return parameters
        case .fire(let firing):
            firing.encode(into: &w)
            return firing.payload
        case .handler(let index, let update):
            w.u16(index)
            return update
        }
    }

    /// Reads the arguments, then the payload: the rest of the message.
    static func decode(_ r: inout ByteReader) throws(FrameError) -> OutboxAction {
        guard let kind = Kind(rawValue: try r.u8()) else { throw FrameError("unknown outbox action") }
        switch kind {
        case .job:
            let name = try r.string()
            return .job(name: name, input: r.payload())
        case .call:
            let method = try r.string()
            let updateID = try r.optionalI64()
            return .call(method: method, parameters: r.payload(), updateID: updateID)
        case .fire:
            return .fire(try TimerFiring(decoding: &r))
        case .handler:
            let index = try r.u16()
            return .handler(index: index, update: r.payload())
        }
    }
}
