import Foundation
import Locking
import Synchronization

/// Where the first step of a two-step handler leaves its result (JSON) for the worker, which
/// sends it to the broker in DONE: a box the runner sets as a task-local around that one
/// handler, so that the handler's type stays `(Context) -> Void` through the middlewares.
package final class PreparedResult: Sendable {
    @TaskLocal package static var current: PreparedResult?

    private let value = Mutex<Data?>(nil)

    package init() {}

    /// The result, once the first step returned; nil when a middleware stopped the update
    /// before it ran (nothing to apply).
    package var data: Data? { value.locked { $0 } }

    func set(_ data: Data) { value.locked { $0 = data } }
}
