import Locking
import Logging
import Synchronization

/// Every log line a `Logger` writes, metadata included: for tests that search the log (a
/// secret that must not appear, an error that must not be logged).
///
/// ```swift
/// let capture = LogCapture()
/// let logger = Logger(label: "test") { _ in capture.handler() }
/// ```
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// The lines so far: "<level> <message> <metadata>".
    public var all: [String] { lines.locked { $0 } }

    public func handler() -> some LogHandler { Handler(capture: self) }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let line = "\(event.level) \(event.message) \(metadata.merging(event.metadata ?? [:]) { $1 })"
            capture.lines.locked { $0.append(line) }
        }
    }
}
