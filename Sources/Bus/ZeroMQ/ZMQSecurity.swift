/// How a socket authenticates and encrypts its connections (ZeroMQ's CURVE, RFC 26).
///
/// `ipc://` endpoints need none: the socket file is the data directory's owner's alone. A
/// `tcp://` endpoint reaches other machines, and there anyone who can connect could register
/// as a worker and read every user's messages: the cluster refuses one without keys.
public enum ZMQSecurity: Sendable, Equatable {
    case none
    /// The broker's side: its secret key, and the ZAP domain its handler answers for. libzmq
    /// admits a client when no ZAP handler answers; with a domain set and enforced (option 93),
    /// it refuses it instead. An empty domain leaves libzmq's open default (only tests use it,
    /// to show why the cluster never does).
    case curveServer(secretKey: String, domain: String)
    /// A worker host's side: its own pair, and the public key of the server it will accept.
    case curveClient(publicKey: String, secretKey: String, serverKey: String)

    public var isCurve: Bool { self != .none }
}
