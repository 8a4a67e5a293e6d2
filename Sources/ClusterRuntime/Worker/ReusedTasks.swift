import DequeModule
import Locking
import Synchronization

/// Long-lived tasks that run a worker's jobs, one job at a time each, instead of a new task
/// per job.
///
/// Creating a task cost five heap allocations, and a handler that calls the Bot API took about
/// nine more for the slabs of its async frames (a new task starts with one small slab); a task
/// that runs job after job keeps its slabs (counted with `scripts/bench allocs`). Tasks start
/// when an item finds none idle, so there are about as many as items ever ran at once (a
/// worker's capacity, plus the slots lent meanwhile); they wait, suspended, between items.
final class ReusedTasks<Item: Sendable>: Sendable {
    private struct State: ~Copyable {
        var queued = Deque<Item>()
        var idle: [UnsafeContinuation<Item?, Never>] = []
        var started = 0
        /// Submitted and not yet finished: running, or queued for a task.
        var inFlight = 0
        var closed = false
    }

    private enum Step { case hand(UnsafeContinuation<Item?, Never>), start, drop }
    private enum Taken { case item(Item), wait, closed }

    private let state = Mutex(State())
    /// What runs each item; set by `start` (an owner that runs its own methods sets it once it
    /// is initialised).
    private let body = Mutex<(@Sendable (Item) async -> Void)?>(nil)

    init() {}

    init(_ body: @escaping @Sendable (Item) async -> Void) {
        start(body)
    }

    /// Sets what runs each item, before the first `submit`.
    func start(_ body: @escaping @Sendable (Item) async -> Void) {
        self.body.locked { $0 = body }
    }

    /// Tasks started so far.
    var started: Int { state.locked { $0.started } }

    /// Items submitted and not yet finished (queued ones too: a drain that counted only the
    /// running ones left with jobs received and not yet started, tried).
    var inFlight: Int { state.locked { $0.inFlight } }

    /// Runs `item` on an idle task, or on a new one when none is idle; any thread.
    func submit(_ item: Item) {
        let step = state.locked { s -> Step in
            if s.closed { return .drop }
            s.inFlight += 1
            if let waiting = s.idle.popLast() { return .hand(waiting) }
            s.queued.append(item)
            s.started += 1
            return .start
        }
        switch step {
        case .hand(let waiting): waiting.resume(returning: item)
        case .start: Task { await self.run() }
        case .drop: return
        }
    }

    /// Ends the idle tasks, and each busy one after its item; later items are not run.
    func close() {
        let idle = state.locked { s -> [UnsafeContinuation<Item?, Never>] in
            s.closed = true
            defer { s.idle.removeAll() }
            return s.idle
        }
        for waiting in idle { waiting.resume(returning: nil) }
    }

    private func run() async {
        guard let body = body.locked({ $0 }) else { preconditionFailure("ReusedTasks.submit before start") }
        while let item = await next() {
            await body(item)
            state.locked { $0.inFlight -= 1 }
        }
    }

    /// The next queued item, at once if there is one, or after waiting idle; nil once closed.
    private func next() async -> Item? {
        switch state.locked({ s -> Taken in s.closed ? .closed : s.queued.popFirst().map { .item($0) } ?? .wait }) {
        case .item(let item): return item
        case .closed: return nil
        case .wait: break
        }
        return await withUnsafeContinuation { (waiting: UnsafeContinuation<Item?, Never>) in
            let taken = state.locked { s -> Taken in
                if s.closed { return .closed }
                if let item = s.queued.popFirst() { return .item(item) }
                s.idle.append(waiting)
                return .wait
            }
            switch taken {
            case .item(let item): waiting.resume(returning: item)
            case .closed: waiting.resume(returning: nil)
            case .wait: break
            }
        }
    }
}
