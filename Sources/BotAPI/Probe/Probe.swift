/// The python-telegram-bot guide's server-location test, built in: times N real calls to the
/// Bot API through the same libcurl client the bot uses, phase by phase.
///
/// By default each call opens a new connection, as the guide's `curl -w` test does, so name
/// lookup, TCP connect and the TLS handshake are measured every time; `freshConnections: false`
/// measures the kept-alive path a running bot takes.
public struct Probe: Sendable {
    public var method: String
    public var count: Int
    public var freshConnections: Bool

    public init(method: String = "getMe", count: Int = 10, freshConnections: Bool = true) {
        precondition(count > 0, "a probe needs at least one request")
        self.method = method
        self.count = count
        self.freshConnections = freshConnections
    }

    /// Runs the calls one after another. The first failure ends the probe: a bad token or an
    /// unreachable host will not get better on the next try, and a measurement never retries.
    public func run(with client: BotClient) async throws -> ProbeReport {
        var samples: [TransferMetrics] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let response = try await client.send(methodName: method, freshConnection: freshConnections)
            samples.append(response.metrics)
        }
        return ProbeReport(apiURL: client.configuration.apiURL, method: method,
                           freshConnections: freshConnections, samples: samples)
    }
}
