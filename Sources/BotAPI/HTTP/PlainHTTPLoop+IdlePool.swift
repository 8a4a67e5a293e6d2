import Foundation

/// The idle pool, kept under the loop's lock: taken from by callers, given back to by the loop.
extension PlainHTTPLoop.Shared {
    /// The newest idle connection to `endpoint` younger than `maxIdleTime`; the older ones are
    /// returned to be closed.
    mutating func takeIdle(_ endpoint: PlainHTTPTarget.Endpoint, now: ContinuousClock.Instant,
                           maxIdleTime: Duration) -> (PlainHTTPConnection?, [PlainHTTPConnection]) {
        guard let i = idle.firstIndex(where: { $0.endpoint == endpoint }) else { return (nil, []) }
        var stale: [PlainHTTPConnection] = []
        while let last = idle[i].connections.popLast() {
            idleCount -= 1
            if now - last.idleSince < maxIdleTime { return (last, stale) }
            // The newest is the youngest: once one is stale, so are those before it.
            stale.append(last)
        }
        return (nil, stale)
    }

    /// Keeps `connection` for reuse; false when the pool is full (the caller closes it).
    mutating func putIdle(_ connection: PlainHTTPConnection, max: Int) -> Bool {
        guard running, idleCount < max else { return false }
        if let i = idle.firstIndex(where: { $0.endpoint == connection.endpoint }) {
            idle[i].connections.append(connection)
        } else {
            idle.append((connection.endpoint, [connection]))
        }
        idleCount += 1
        return true
    }
}
