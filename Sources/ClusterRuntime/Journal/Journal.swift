import BotAPI
import Wire
import Foundation
import Logging
import Locking
import Synchronization

/// The broker's update journal: an append-only, segmented log in `<data-dir>/journal/`
/// (`segment-<n>.log`), one checksummed record per accepted update and per completed one.
///
/// The broker appends an accepted batch and acknowledges it to ingest only from `whenDurable`,
/// which runs after an `fsync` that covers it; one `fsync` serves every batch appended while
/// the previous one ran (group commit). On start, `recover` reads every segment: a torn or
/// damaged tail is truncated (with a log line), a damaged record in the middle is skipped and
/// reported, and the updates accepted but not completed come back in order for the broker to
/// hand out again. A segment whose updates are all completed, and that is no longer written,
/// is deleted once older than the retention (or kept under `archive/` when archiving).
///
/// Used from the broker's loop; the `fsync`s run on a thread of their own.
package final class Journal: @unchecked Sendable {
    package struct Configuration: Sendable {
        package var directory: URL
        /// A segment is closed and a new one started past this size.
        package var segmentBytes = 64 << 20
        /// Completed segments are kept this long (for `tgcluster capture export`), then removed.
        package var retention: Duration = .seconds(24 * 3600)
        /// Move completed segments to `archive/` instead of deleting them.
        package var archive = false
        /// Testing: while this file exists every write fails as on a full disk.
        package var faultMarker: URL?
        /// Told how long each group fsync took, in seconds (the cluster's metrics).
        package var observeFsync: (@Sendable (Double) -> Void)?

        package init(directory: URL) { self.directory = directory }
    }

    private struct Segment {
        var number: Int
        var url: URL
        var outstanding = 0
        var lastWrite = Date()
    }

    private let configuration: Configuration
    private let logger: Logger
    private var segments: [Segment] = []
    private var fd: Int32 = -1
    /// The records' end in the segment being written (its file runs on to `room.end`).
    private var size = 0
    private var room = JournalRoom()
    private var written = 0
    /// update id → segment number of its accepted record, while not completed.
    private var open: [UpdateIDKey: Int] = [:]
    /// Completion records not yet written (see `complete`).
    private var completions = ByteWriter()
    /// Writes so far (the tickets' clock); the broker's thread only.
    private var writes: UInt64 = 0
    private let sync = Mutex(SyncState())
    private let fdLock = Mutex(())
    private let syncWake = DispatchSemaphore(value: 0)
    private var closed = false

    private struct SyncState {
        var waiting: [(ticket: UInt64, body: @Sendable () -> Void)] = []
        /// The newest ticket asked to be made durable, and the newest an fsync covered.
        var requested: UInt64 = 0
        var durable: UInt64 = 0
        var running = false
        var threadStarted = false
        /// `close`: the sync thread ends once nothing waits.
        var stop = false
        var failed: Int32 = 0
    }

    package init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Reads the journal back (repairing a torn tail) and opens the segment to append to.
    package func recover() throws -> Recovered {
        let fm = FileManager.default
        try fm.createDirectory(at: configuration.directory, withIntermediateDirectories: true)
        let names = try fm.contentsOfDirectory(atPath: configuration.directory.path)
            .compactMap { name -> Int? in
                guard name.hasPrefix("segment-"), name.hasSuffix(".log") else { return nil }
                return Int(name.dropFirst("segment-".count).dropLast(".log".count))
            }.sorted()
        var result = Recovered()
        var accepted: [(Int, UpdateEnvelope)] = []
        var completed = Set<Int64>()
        for (index, number) in names.enumerated() {
            let url = segmentURL(number)
            let data = try Data(contentsOf: url)
            let read = JournalReader.read(data)
            result.segments += 1
            result.records += read.records.count
            if read.skipped > 0 {
                result.skipped += read.skipped
                logger.error("journal: damaged records skipped", metadata: ["segment": "\(url.lastPathComponent)", "records": "\(read.skipped)"])
            }
            if read.tornBytes > 0 {
                result.truncatedBytes += read.tornBytes
                logger.warning("journal: torn tail truncated", metadata: ["segment": "\(url.lastPathComponent)", "bytes": "\(read.tornBytes)",
                                                                          "last": "\(index == names.count - 1)"])
            }
            if read.tornBytes + read.room > 0 {  // the room of a segment its writer did not close: cut silently
                let handle = try FileHandle(forWritingTo: url)
                try handle.truncate(atOffset: UInt64(read.validEnd))
                try handle.synchronize()
                try handle.close()
            }
            let modified = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? Date()
            segments.append(Segment(number: number, url: url, lastWrite: modified))
            for record in read.records {
                switch record {
                case .accepted(let envelope, _):
                    accepted.append((number, envelope))
                    result.seen.append(envelope.updateID)
                case .completed(let id):
                    completed.insert(id)
                }
            }
        }
        var pending = Set<Int64>()
        for (number, envelope) in accepted where !completed.contains(envelope.updateID) && pending.insert(envelope.updateID).inserted {
            result.unfinished.append(envelope)
            open[UpdateIDKey(envelope.updateID)] = number
            if let i = segments.firstIndex(where: { $0.number == number }) { segments[i].outstanding += 1 }
        }
        try startSegment((names.last ?? 0) + 1)
        prune()
        return result
    }

    /// A point in the journal's writes: `whenDurable(after:)` runs its body once an fsync has
    /// covered every write up to it.
    package struct Ticket: Sendable {
        fileprivate var writes: UInt64
    }

    /// Appends accepted updates (not yet durable: see `whenDurable`) and starts the fsync that
    /// will cover them at once, so that it runs while the caller routes and dispatches the
    /// batch. Throws on a write error (a full disk): the caller must not acknowledge them.
    @discardableResult
    package func append(accepted envelopes: [UpdateEnvelope], receivedAt: Double = Date().timeIntervalSince1970) throws -> Ticket {
        flushCompletions()
        // Every record into one buffer, checksummed in place: one allocation per batch (sized for
        // the records: a record's header, type, time and envelope fields fit in 64 bytes).
        var out = ByteWriter(capacity: envelopes.reduce(0) { $0 + $1.byteCount + 64 })
        for e in envelopes { JournalRecord.accepted(e, receivedAt: receivedAt).encode(into: &out) }
        try write(out)
        let number = segments[segments.count - 1].number
        for e in envelopes where open[UpdateIDKey(e.updateID)] == nil {
            open[UpdateIDKey(e.updateID)] = number
            segments[segments.count - 1].outstanding += 1
        }
        let ticket = Ticket(writes: writes)
        if size >= configuration.segmentBytes { try rotate() }
        request(ticket, then: nil)
        return ticket
    }

    /// Records that an update's job is finished (made durable by the next group's fsync).
    ///
    /// The record waits in memory until `flushCompletions` (the broker calls it once per round
    /// of its bus loop), the next append or `whenDurable`: one `write` for a round's completions
    /// instead of one per update. A broker killed in between runs those few updates again.
    package func complete(_ updateID: Int64) {
        guard let number = open.removeValue(forKey: UpdateIDKey(updateID)) else { return }
        JournalRecord.completed(updateID: updateID).encode(into: &completions)
        if let i = segments.firstIndex(where: { $0.number == number }) { segments[i].outstanding -= 1 }
    }

    /// Writes the completion records `complete` has kept (into the page cache; the next group
    /// fsync makes them durable).
    package func flushCompletions() {
        guard !completions.isEmpty else { return }
        try? write(completions)
        completions.removeAll()
    }

    /// Runs `body` (on the sync thread) once everything written so far is on disk.
    package func whenDurable(_ body: @escaping @Sendable () -> Void) {
        flushCompletions()
        request(Ticket(writes: writes), then: body)
    }

    /// Runs `body` once the writes up to `ticket` are on disk: at once (on the caller's thread)
    /// when an fsync has covered them already, else on the sync thread after the one that does.
    /// Completions written since do not delay it.
    package func whenDurable(after ticket: Ticket, _ body: @escaping @Sendable () -> Void) {
        request(ticket, then: body)
    }

    /// Whether an fsync has covered the writes up to `ticket`.
    package func isDurable(_ ticket: Ticket) -> Bool {
        sync.locked { $0.durable >= ticket.writes }
    }

    private func request(_ ticket: Ticket, then body: (@Sendable () -> Void)?) {
        let (now, start, signal) = sync.locked { s -> (Bool, Bool, Bool) in
            if s.durable >= ticket.writes { return (true, false, false) }
            if let body { s.waiting.append((ticket.writes, body)) }
            s.requested = max(s.requested, ticket.writes)
            let start = !s.threadStarted
            s.threadStarted = true
            if s.running { return (false, start, false) }
            s.running = true
            return (false, start, true)
        }
        if now {
            body?()
            return
        }
        if start {
            let thread = Thread.named("tgc.fsync") { [self] in syncLoop() }
            thread.start()
        }
        if signal { syncWake.signal() }
    }

    /// The sync thread: one `fdatasync` covering every write requested so far, then the
    /// waiters it covers, while more is requested; then it sleeps until the next request (one
    /// thread for the journal's life, not one per group: a new thread per commit costs its
    /// start and a wait for a core).
    private func syncLoop() {
        while true {
            syncWake.wait()
            while true {
                // After `close` nothing more is synced here: `close` fsyncs under the lock
                // itself, and the descriptor may be gone (an fdatasync(-1) logged a failure).
                let (target, stop) = sync.locked { s -> (UInt64?, Bool) in
                    if s.requested <= s.durable || s.stop {
                        s.running = false
                        return (nil, s.stop)
                    }
                    return (s.requested, s.stop)
                }
                guard let target else {
                    if stop { return }
                    break
                }
                let started = ContinuousClock.now
                // Every write up to `target` happened before it was requested, so before this.
                // `close` may have run between the check above and this lock: then the descriptor
                // is gone and `close` synced under this lock itself (a fdatasync(-1) here logged
                // a failure that was none: the journal test, 1 in ~300 closes under load).
                let result = fdLock.locked { _ -> (rc: Int32, errno: Int32)? in
                    guard fd >= 0 else { return nil }
                    let rc = fdatasync(fd)
                    return (rc, rc != 0 ? errno : 0)
                }
                guard let (rc, e) = result else { return }
                if let observe = configuration.observeFsync {
                    observe((ContinuousClock.now - started).seconds)
                }
                let covered = sync.locked { s -> [@Sendable () -> Void] in
                    if rc != 0 {
                        // Not acknowledged: the sender repeats what it does not hear about.
                        s.failed = e
                        s.waiting.removeAll { $0.ticket <= target }
                        s.requested = s.durable
                        return []
                    }
                    s.durable = target
                    var run: [@Sendable () -> Void] = []
                    s.waiting.removeAll { w in
                        guard w.ticket <= target else { return false }
                        run.append(w.body)
                        return true
                    }
                    return run
                }
                if rc != 0 {
                    logger.error("journal: fsync failed; not acknowledging", metadata: ["error": "\(String(cString: strerror(e)))"])
                    continue
                }
                for body in covered { body() }
            }
        }
    }

    /// Bytes written since start (for status).
    package var bytesWritten: Int { written }

    package func close() {
        guard !closed else { return }
        flushCompletions()
        closed = true
        if sync.locked({ s -> Bool in s.stop = true; return s.threadStarted }) { syncWake.signal() }
        fdLock.locked { _ in
            closeSegment()
            fd = -1
        }
    }

    /// Cuts the segment being written back to its records (its room goes) and closes it, synced.
    /// Under `fdLock`.
    private func closeSegment() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, off_t(size))
        _ = fsync(fd)
        Foundation.close(fd)
    }

    deinit {
        assert(closed || fd < 0, "Journal was not closed")
    }

    // MARK: - Files

    private func segmentURL(_ number: Int) -> URL {
        configuration.directory.appendingPathComponent(String(format: "segment-%012d.log", number))
    }

    private func write(_ out: borrowing ByteWriter) throws {
        if let marker = configuration.faultMarker, FileManager.default.fileExists(atPath: marker.path) {
            throw JournalError("write failed: \(String(cString: strerror(ENOSPC))) (injected by \(marker.lastPathComponent))")
        }
        let count = out.count
        if let zeros = room.zeros(toWrite: count, at: size) {
            try JournalRoom.fill(fd, zeros)
            room.grew(to: zeros.upperBound)
        }
        var offset = 0
        while offset < count {
            let n = out.withUnsafeBytes { raw in pwrite(fd, raw.baseAddress! + offset, count - offset, off_t(size + offset)) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                // A partial record may now end the file: the next start truncates it.
                throw JournalError("write failed: \(String(cString: strerror(e)))")
            }
            offset += n
        }
        size += count
        written += count
        writes += 1
        segments[segments.count - 1].lastWrite = Date()
    }

    private func startSegment(_ number: Int) throws {
        let url = segmentURL(number)
        let newFD = Foundation.open(url.path, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
        guard newFD >= 0 else { throw JournalError("cannot open \(url.path): \(String(cString: strerror(errno)))") }
        fdLock.locked { _ in
            closeSegment()
            fd = newFD
        }
        room.reset()
        // The directory entry itself must survive a power loss.
        let dir = Foundation.open(configuration.directory.path, O_RDONLY)
        if dir >= 0 {
            _ = fsync(dir)
            Foundation.close(dir)
        }
        size = 0
        segments.append(Segment(number: number, url: url))
    }

    private func rotate() throws {
        try startSegment(segments[segments.count - 1].number + 1)
        prune()
    }

    /// Removes (or archives) the completed segments older than the retention; never the
    /// segment being written.
    func prune(now: Date = Date()) {
        var kept: [Segment] = []
        for (i, s) in segments.enumerated() {
            let active = i == segments.count - 1
            if !active, s.outstanding <= 0, now.timeIntervalSince(s.lastWrite) >= Double(configuration.retention.components.seconds) {
                if configuration.archive {
                    let archive = configuration.directory.appendingPathComponent("archive")
                    try? FileManager.default.createDirectory(at: archive, withIntermediateDirectories: true)
                    try? FileManager.default.moveItem(at: s.url, to: archive.appendingPathComponent(s.url.lastPathComponent))
                } else {
                    try? FileManager.default.removeItem(at: s.url)
                }
                continue
            }
            kept.append(s)
        }
        segments = kept
    }

    /// Segments on disk now (tests, status).
    var segmentCount: Int { segments.count }
}
