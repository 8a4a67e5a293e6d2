import Foundation

/// What a loop is made with (its sockets, its heartbeat) and what it delivers.
extension BusLoop {
    public struct SocketSpec: Sendable {
        public var kind: ZMQSocket.Kind
        public var identity: String?
        public var bind: [String] = []
        public var connect: [String] = []
        public var highWaterMark: Int32 = 10_000
        /// CURVE keys (for `tcp://` endpoints), set before binding or connecting.
        public var security: ZMQSecurity = .none
        /// ZMTP heartbeats at this interval (see `ZMQSocket.detectDeadPeers`); nil: none.
        public var deadPeerInterval: Duration?
        /// A round's messages for one peer leave as one (see `Bundling`); nil: each alone.
        /// Received bundles are taken apart into their messages before delivery.
        public var bundling: Bundling?

        public init(kind: ZMQSocket.Kind, identity: String? = nil, bind: [String] = [], connect: [String] = [],
                    highWaterMark: Int32 = 10_000, security: ZMQSecurity = .none, deadPeerInterval: Duration? = nil,
                    bundling: Bundling? = nil) {
            self.kind = kind
            self.identity = identity
            self.bind = bind
            self.connect = connect
            self.highWaterMark = highWaterMark
            self.security = security
            self.deadPeerInterval = deadPeerInterval
            self.bundling = bundling
        }
    }

    /// A message received on the socket at index `socket` of the specs, or a clock tick
    /// (`socket == BusLoop.tick`, no frames) when the loop was created with a tick interval.
    public struct Message: Sendable {
        public var socket: Int
        public var frames: [Data]
        /// On a CURVE server's socket, the `User-Id` its ZAP handler gave the sender (the
        /// client's public key); nil elsewhere.
        public var userID: String?

        public init(socket: Int, frames: [Data], userID: String? = nil) {
            self.socket = socket
            self.frames = frames
            self.userID = userID
        }

        public var isTick: Bool { socket == BusLoop.tick }
    }

    /// The `socket` of a tick message.
    public static let tick = -1

    /// A message the loop itself sends on `socket` whenever nothing else went out on it for
    /// `interval`. Heartbeats sent from the I/O thread say that the process is alive even when
    /// its handlers keep every thread of Swift's pool busy (a blocking SQLite call, a tight
    /// loop): liveness then measures the process, and the handler deadline the handlers.
    public struct Heartbeat: Sendable {
        public var socket: Int
        public var frames: [Data]
        public var interval: Duration

        public init(socket: Int, frames: [Data], interval: Duration) {
            self.socket = socket
            self.frames = frames
            self.interval = interval
        }
    }
}
