import ServiceLifecycle

/// A resource the role's services share (the ZeroMQ context, the libcurl client), held as a
/// service placed before them in the group: the group shuts services down in reverse order, so
/// it closes only after every service that uses it has stopped.
struct ClosingService: Service, CustomStringConvertible {
    let description: String
    let close: @Sendable () -> Void

    init(_ name: String, close: @escaping @Sendable () -> Void) {
        description = name
        self.close = close
    }

    func run() async {
        // Returns on graceful shutdown, and at once (throwing) when the group is cancelled.
        try? await gracefulShutdown()
        close()
    }
}
