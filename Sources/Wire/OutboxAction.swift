import Foundation

/// What an outbox row asks the pool to do once its update has committed. Each is its own kind
/// on the wire, never a job name with a reserved prefix.
public enum OutboxAction: Sendable, Equatable {
    /// The bot's named job (`runAsync` from a serial handler).
    case job(name: String, input: Data)
    /// One Bot API call (`reply`, `send` from a serial handler): the method and its JSON parameters.
    case call(method: String, parameters: Data)
    /// A scheduled job came due: run its timer callback.
    case fire(TimerFiring)

    enum Kind: UInt8 {
        case job = 0, call = 1, fire = 2
    }

    var kind: Kind {
        switch self {
        case .job: return .job
        case .call: return .call
        case .fire: return .fire
        }
    }

    /// Arguments into `w`; the bulk (input, parameters, timer payload) is the payload frame.
    func encode(into w: inout ByteWriter) -> Data {
        w.u8(kind.rawValue)
        switch self {
        case .job(let name, let input):
            w.string(name)
            return input
        case .call(let method, let parameters):
            w.string(method)
            return parameters
        case .fire(let firing):
            firing.encode(into: &w)
            return firing.payload
        }
    }

    static func decode(_ r: inout ByteReader, payload: Data) throws(FrameError) -> OutboxAction {
        guard let kind = Kind(rawValue: try r.u8()) else { throw FrameError("unknown outbox action") }
        switch kind {
        case .job: return .job(name: try r.string(), input: payload)
        case .call: return .call(method: try r.string(), parameters: payload)
        case .fire: return .fire(try TimerFiring(decoding: &r, payload: payload))
        }
    }
}
