import Dispatch
import Foundation
import Synchronization

/// Waits for SIGTERM or SIGINT. The handler only resumes waiters; the role then stops in order.
package enum TerminationSignal {
    private static let state = Mutex<(installed: Bool, fired: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, false, []))
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []

    /// Installs the handlers (once); call early, before the work starts.
    package static func install() {
        let first = state.withLock { s -> Bool in
            defer { s.installed = true }
            return !s.installed
        }
        guard first else { return }
        sources = [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { @Sendable in fire() }
            source.resume()
            return source
        }
    }

    /// Behaves as if a termination signal arrived.
    package static func fire() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.fired = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns when a termination signal has arrived.
    package static func wait() async {
        install()
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.fired { return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }
}
