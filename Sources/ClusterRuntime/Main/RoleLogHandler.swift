import Logging

/// The roles' log handler: swift-log's `StreamLogHandler` writes the lines (its format, its
/// locked stderr), and the metadata is kept here and formatted only when a line is written.
///
/// `StreamLogHandler` formats its metadata whenever it is set. A worker sets `update_id` once
/// per job (the handler's `ctx.logger` carries it) and most jobs log nothing: formatting at the
/// set cost five heap allocations per job (counted with `scripts/bench allocs`).
///
/// The key set last on a copy is kept inline, beside the metadata the copy shares: a job's
/// logger is the process's with `update_id` set, and setting it in the shared dictionary copied
/// that dictionary (an allocation, every key hashed again: 1,659 instructions per update in a
/// worker, `scripts/bench instructions`).
struct RoleLogHandler: LogHandler {
    private var stream: StreamLogHandler
    /// The metadata but for `latest`.
    private var shared: Logger.Metadata = [:]
    /// The key set last and its value, which wins over `shared`'s.
    private var latest: (key: String, value: Logger.Metadata.Value)?

    var metadata: Logger.Metadata {
        get {
            guard let latest else { return shared }
            var all = shared
            all[latest.key] = latest.value
            return all
        }
        set {
            shared = newValue
            latest = nil
        }
    }

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
        get {
            if let latest, latest.key == key { return latest.value }
            return shared[key]
        }
        set {
            if let latest, latest.key != key {
                shared[latest.key] = latest.value
                self.latest = nil
            }
            if let newValue {
                latest = (key, newValue)
            } else {
                latest = nil
                if shared[key] != nil { shared[key] = nil }
            }
        }
    }

    /// The line's own metadata wins over the logger's, as in `StreamLogHandler`.
    func log(event: LogEvent) {
        var event = event
        let metadata = self.metadata
        if !metadata.isEmpty {
            event.metadata = metadata.merging(event.metadata ?? [:]) { _, own in own }
        }
        stream.log(event: event)
    }
}
