/// A chat's flood budget as it travels between hosts: the time before which its next message
/// would have to wait (the GCRA bucket's theoretical arrival time), on the wall clock, since
/// each host's monotonic clock is its own.
///
/// Flood tables are per host (shared memory). A chat has at most one ordered job in flight, so
/// its budget can travel with the job: the broker sends FLOOD before a JOB to a worker on
/// another host, read from the core host's table, and that worker sends FLOOD back before its
/// DONE; each side keeps the later time.
public struct FloodBudget: Sendable, Equatable {
    public var chatID: Int64
    /// Nanoseconds since the Unix epoch.
    public var until: Int64

    public init(chatID: Int64, until: Int64) {
        self.chatID = chatID
        self.until = until
    }
}
