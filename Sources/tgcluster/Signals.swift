import Dispatch
import Foundation

/// Waits for a termination signal; the handler only resumes the waiter.
enum Signals {
    static func wait(for signals: [Int32]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once()
            var sources: [any DispatchSourceSignal] = []
            for sig in signals {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { @Sendable in
                    if once.take() { continuation.resume() }
                }
                source.resume()
                sources.append(source)
            }
            Holder.sources = sources
        }
    }

    private final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        func take() -> Bool {
            lock.lock()
            defer { lock.unlock() }
            if done { return false }
            done = true
            return true
        }
    }

    private enum Holder {
        nonisolated(unsafe) static var sources: [any DispatchSourceSignal] = []
    }
}
