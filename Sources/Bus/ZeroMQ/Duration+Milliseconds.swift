extension Duration {
    /// Whole milliseconds, rounded down: what libzmq's options and `zmq_poll` take.
    var wholeMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
