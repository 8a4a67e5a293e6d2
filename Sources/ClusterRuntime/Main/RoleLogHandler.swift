import Logging

/// The roles' log handler: swift-log's `StreamLogHandler` writes the lines (its format, its
/// locked stderr), and the metadata is kept here and formatted only when a line is written.
///
/// `StreamLogHandler` formats its metadata whenever it is set. A worker sets `update_id` once
/// per job (the handler's `ctx.logger` carries it) and most jobs log nothing: formatting at the
/// set cost five heap allocations per job (counted with `scripts/bench allocs`).
struct RoleLogHandler: LogHandler {
    private var stream: StreamLogHandler
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level) {
        self.init(StreamLogHandler.standardError(label: label), level: level)
    }

    /// Lines to `stream`'s output (a test's).
    init(_ stream: StreamLogHandler, level: Logger.Level) {
        self.stream = stream
        self.stream.logLevel = level
    }

    var logLevel: Logger.Level {
        get { stream.logLevel }
        set { stream.logLevel = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The line's own metadata wins over the logger's, as in `StreamLogHandler`.
    func log(event: LogEvent) {
        var event = event
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, own in own }
        }
        stream.log(event: event)
    }
}
