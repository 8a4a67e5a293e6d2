/// What a worker or the sequencer says when it joins (READY): how much work it takes at once,
/// and which bot it runs.
///
/// The broker routes an update to a handler by its index in the bot's handler table, so a
/// peer built from another binary (an upgrade that left one old worker behind, a worker of
/// another bot pointed at the wrong endpoint) would run the wrong handler without an error.
/// `fingerprint` names the tables (handlers, jobs, timers, migrations); the broker refuses a
/// peer whose fingerprint is not its own.
public struct Ready: Sendable, Equatable {
    public var capacity: UInt32
    public var role: PeerRole
    /// A hash of the bot's handler, job and timer tables (`Bot.fingerprint`).
    public var fingerprint: UInt64
    /// The peer's program name, for the error that names both sides.
    public var program: String
    /// The peer's process id on its host: the supervisor kills a peer the broker declared lost.
    public var pid: UInt32
    /// The peer's host, as its configuration names it: `tgcluster status` groups workers by it.
    /// A process id means something only on the broker's own host (the broker knows which
    /// peers those are: they reached it on a local endpoint).
    public var host: String

    public init(capacity: UInt32, role: PeerRole, fingerprint: UInt64 = 0, program: String = "", pid: UInt32 = 0, host: String = "") {
        self.host = host
        self.capacity = capacity
        self.role = role
        self.fingerprint = fingerprint
        self.program = program
        self.pid = pid
    }
}
