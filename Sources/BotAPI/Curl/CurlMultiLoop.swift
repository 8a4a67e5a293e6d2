internal import CCurl
internal import CCurlShims
import Foundation
import Locking
import Synchronization

/// One libcurl multi handle on its own thread, with an `async` API on top.
///
/// Every transfer of the process shares the multi handle, so connections are kept alive and
/// reused across calls (`CURLMOPT_MAXCONNECTS` set on purpose, or the pool churns), and any
/// number of requests can be in flight at once. The handle and every easy handle are touched
/// only by the loop thread, which waits on the sockets libcurl names through epoll
/// (`CurlSocketEvents`: the `multi_socket` API, a wake-up costs what is ready, not what is in
/// flight); other threads talk to it through a locked command queue and an eventfd. Close it
/// with `shutdown()`.
public final class CurlMultiLoop: Sendable {
    public struct Configuration: Sendable {
        /// Idle connections kept for reuse (`CURLMOPT_MAXCONNECTS`).
        public var maxIdleConnections: Int = 64
        /// Open connections per host, 0 = unlimited (`CURLMOPT_MAX_HOST_CONNECTIONS`).
        public var maxConnectionsPerHost: Int = 0
        /// Where the proxy variables are read, once, as libcurl reads them (`http_proxy`,
        /// `https_proxy`/`HTTPS_PROXY`, `all_proxy`/`ALL_PROXY`, `no_proxy`/`NO_PROXY`).
        public var environment: [String: String] = ProcessInfo.processInfo.environment

        public init() {}
    }

    private enum Command: Sendable {
        case start(UInt64, HTTPRequest, CheckedContinuation<HTTPResponse, any Error>)
        case cancel(UInt64)
    }

    private struct Shared: ~Copyable {
        var commands: [Command] = []
        var nextID: UInt64 = 0
        var running = true
        var finished = false
        /// A wake-up (the eventfd) is on its way: later commands ride on it.
        var wakePending = false
    }

    private let shared = Mutex(Shared())
    private let done = DispatchSemaphore(value: 0)
    // The multi handle; owned by the loop thread once it starts.
    private nonisolated(unsafe) let multi: UnsafeMutableRawPointer
    // Its sockets and timer; the loop thread's, but for `wake()` (an eventfd write).
    private nonisolated(unsafe) let events = CurlSocketEvents()
    private let proxies: CurlProxyEnvironment

    public init(configuration: Configuration = .init()) {
        CurlGlobal.ensureInitialized()
        guard let multi = curl_multi_init() else {
            preconditionFailure("curl_multi_init failed: out of memory")
        }
        self.multi = multi
        proxies = CurlProxyEnvironment(configuration.environment)
        _ = CCurlShims_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maxIdleConnections)
        _ = CCurlShims_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxConnectionsPerHost)
        events.attach(to: multi)
        let thread = Thread.named("tgc.curl") { [self] in
            self.runLoop()
        }
        thread.start()
    }

    deinit {
        assert(shared.locked { $0.finished }, "CurlMultiLoop deinitialized without shutdown()")
    }

    /// Performs `request`; throws `CurlError` on a transport failure (an HTTP error status is a
    /// normal response) and `CancellationError` when the task is cancelled.
    public func perform(_ request: HTTPRequest) async throws -> HTTPResponse {
        let id = shared.locked { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let accepted = shared.locked { s -> (Bool, Bool) in
                    guard s.running else { return (false, false) }
                    s.commands.append(.start(id, request, continuation))
                    defer { s.wakePending = true }
                    return (true, !s.wakePending)
                }
                if accepted.0 {
                    if accepted.1 { events.wake() }
                } else {
                    continuation.resume(throwing: CurlError(code: -1, operation: "perform", message: "client is shut down"))
                }
            }
        } onCancel: {
            let running = shared.locked { s -> Bool in
                s.commands.append(.cancel(id))
                return s.running
            }
            if running { events.wake() }
        }
    }

    /// Stops the loop: transfers still in flight fail, every handle is cleaned up. Blocks until
    /// the loop thread has finished; idempotent.
    public func shutdown() {
        let first = shared.locked { s -> Bool in
            defer { s.running = false }
            return s.running
        }
        guard first else { return }
        events.wake()
        done.wait()
    }

    // MARK: - Loop thread

    private func runLoop() {
        var loop = LoopState(multi: multi, proxies: proxies)
        let timeout = CCurlShims_socket_timeout()
        var transfers: Int32 = 0
        while true {
            let (commands, running) = shared.locked { s -> ([Command], Bool) in
                defer {
                    s.commands.removeAll(keepingCapacity: true)
                    s.wakePending = false
                }
                return (s.commands, s.running)
            }
            if !running { break }
            for command in commands {
                switch command {
                case .start(let id, let request, let continuation): loop.start(id, request, continuation)
                case .cancel(let id): loop.cancel(id)
                }
            }
            // A transfer just added asked for a timer of 0: it starts here.
            if events.timerDue(now: .now) { curl_multi_socket_action(multi, timeout, 0, &transfers) }
            loop.collectFinished()
            events.wait(atMost: .seconds(1)) { fd, mask in
                curl_multi_socket_action(multi, fd, mask, &transfers)
            }
            if events.timerDue(now: .now) { curl_multi_socket_action(multi, timeout, 0, &transfers) }
            loop.collectFinished()
        }
        // Shutting down: fail what is left, then free every handle on this thread.
        let leftover = shared.locked { s -> [Command] in
            defer { s.commands.removeAll() }
            return s.commands
        }
        loop.shutDown(leftover)
        shared.locked { $0.finished = true }
        done.signal()
    }

    /// What only the loop thread touches: the transfers in flight by id and by easy handle,
    /// cancellations that came before their start, easy handles kept for reuse, the header
    /// lists of requests without headers of their own, by content type, and the parsed URLs
    /// (each built once, not per call).
    private struct LoopState {
        let multi: UnsafeMutableRawPointer
        var transfers: [UInt64: CurlTransfer] = [:]
        var byHandle: [UnsafeMutableRawPointer: UInt64] = [:]
        var cancelledEarly = Set<UInt64>()
        var idleHandles: [CurlEasyHandle] = []
        /// By the body's content type; nil for a request without a body.
        var headerLists: [String?: UnsafeMutablePointer<curl_slist>] = [:]
        /// The list asked for last, compared before the table is hashed (as `CurlURLTable`'s).
        var lastHeaderList: (contentType: String?, list: UnsafeMutablePointer<curl_slist>)?
        /// Content types are the caller's: past this many, lists are built per call again.
        static let maxHeaderLists = 8
        /// URLs parsed once, with their proxies from the environment as the loop started.
        var urls: CurlURLTable

        init(multi: UnsafeMutableRawPointer, proxies: CurlProxyEnvironment) {
            self.multi = multi
            urls = CurlURLTable(proxies: proxies)
        }

        mutating func start(_ id: UInt64, _ request: HTTPRequest, _ continuation: CheckedContinuation<HTTPResponse, any Error>) {
            if cancelledEarly.remove(id) != nil {
                continuation.resume(throwing: CancellationError())
                return
            }
            guard let handle = idleHandles.popLast() ?? CurlEasyHandle.make() else {
                continuation.resume(throwing: CurlError(code: 27, operation: "curl_easy_init", message: "out of memory"))
                return
            }
            // No `curl_easy_reset` for a reused handle: it re-creates libcurl's defaults (four
            // allocations per call, counted); `configure` sets every option a call uses, each
            // time, so nothing of the handle's last call carries over.
            let transfer = CurlTransfer(handle: handle, request: request, continuation: continuation)
            do {
                try transfer.configure(target: urls.target(for: request.url, recurring: request.recurringURL), noProxy: urls.proxies.noProxy) { type in
                    sharedHeaderList(contentType: type)
                }
            } catch {
                transfer.releaseRequestResources()
                idleHandles.append(handle)
                continuation.resume(throwing: error)
                return
            }
            transfers[id] = transfer
            byHandle[handle.easy] = id
            curl_multi_add_handle(multi, handle.easy)
        }

        /// The list for a request with no headers of its own: `Expect:` and the body's type.
        mutating func sharedHeaderList(contentType: String?) -> UnsafeMutablePointer<curl_slist>? {
            if let last = lastHeaderList, last.contentType == contentType { return last.list }
            if let list = headerLists[contentType] {
                lastHeaderList = (contentType, list)
                return list
            }
            guard headerLists.count < Self.maxHeaderLists else { return nil }
            let list = CurlTransfer.makeHeaderList(CurlTransfer.standardHeaders(contentType: contentType))
            headerLists[contentType] = list
            if let list { lastHeaderList = (contentType, list) }
            return list
        }

        mutating func cancel(_ id: UInt64) {
            if transfers[id] != nil {
                finish(id, .failure(CancellationError()))
            } else {
                cancelledEarly.insert(id)
            }
        }

        /// Completes the transfers libcurl reports done.
        mutating func collectFinished() {
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                      let id = byHandle[easy], let transfer = transfers[id] else { continue }
                let code = message.pointee.data.result
                if code == CURLE_OK {
                    finish(id, .success(transfer.response()))
                } else {
                    finish(id, .failure(transfer.error(code: code)))
                }
            }
            // Cancellations of finished or never-started ids would otherwise accumulate.
            if cancelledEarly.count > 4096 { cancelledEarly.removeAll() }
        }

        mutating func finish(_ id: UInt64, _ result: Result<HTTPResponse, any Error>) {
            guard let transfer = transfers.removeValue(forKey: id) else { return }
            byHandle[transfer.easy] = nil
            curl_multi_remove_handle(multi, transfer.easy)
            transfer.releaseRequestResources()
            idleHandles.append(transfer.handle)
            transfer.continuation.resume(with: result)
        }

        /// Fails the requests not started and the transfers in flight; frees every handle.
        mutating func shutDown(_ leftover: [Command]) {
            for case .start(_, _, let continuation) in leftover {
                continuation.resume(throwing: CurlError(code: -1, operation: "perform", message: "client is shut down"))
            }
            for id in Array(transfers.keys) {
                finish(id, .failure(CurlError(code: -1, operation: "perform", message: "client is shut down")))
            }
            for handle in idleHandles { handle.free() }
            for list in headerLists.values { curl_slist_free_all(list) }
            lastHeaderList = nil
            curl_multi_cleanup(multi)
            urls.free()
        }
    }
}

/// libcurl's process-wide set-up, done once before the first handle.
enum CurlGlobal {
    private static let initialized: Bool = {
        // libcurl writes to sockets whose peer may have gone: a SIGPIPE would kill the process.
        signal(SIGPIPE, SIG_IGN)
        return curl_global_init(CCurlShims_global_all()) == CURLE_OK
    }()

    static func ensureInitialized() {
        precondition(initialized, "curl_global_init failed")
    }

    static var version: String { String(cString: curl_version()) }
}
