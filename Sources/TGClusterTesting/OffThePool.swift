import Foundation

/// Runs blocking work (a child process waited for, a socket read without a timeout, a long
/// computation) on a thread of its own and awaits its result.
///
/// Swift's cooperative pool has one thread per core — two on a small CI machine — and every
/// test of a process shares it: the emulator's webhook deliveries, a harness's polling, each
/// test's timers. A test that blocks a pool thread for seconds halves everyone's progress; two
/// such tests at once stop the process, and unrelated tests time out (seen in tgcluster's own
/// suite: webhook tests waiting 10 s for deliveries behind a slow-client test). `PoolWatch`
/// says when that happens.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// `offThePool` for work that cannot throw.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: body()) }
    }
}
