import Locking
import Synchronization

/// One key's run of a conversation, as a step sees it: the state the update found it in and
/// the values collected so far (python-telegram-bot's `context.user_data` for one dialogue).
/// Values set here are stored with the step's transition, in the update's transaction.
public final class Dialogue<State: Sendable>: Sendable {
    /// The state the update found (nil at an entry point).
    public let state: State?
    private let values: Mutex<[String: String]>

    init(state: State?, values: [String: String]) {
        self.state = state
        self.values = Mutex(values)
    }

    /// A value collected earlier, or set now.
    public subscript(key: String) -> String? {
        get { values.locked { $0[key] } }
        set { values.locked { $0[key] = newValue } }
    }

    /// Every value collected.
    public var all: [String: String] { values.locked { $0 } }
}
