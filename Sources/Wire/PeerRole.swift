/// What a peer is to the broker.
public enum PeerRole: UInt8, Sendable {
    case worker = 0
    case sequencer = 1

    public var name: String {
        switch self {
        case .worker: return "worker"
        case .sequencer: return "sequencer"
        }
    }
}
