/// One key's run of a conversation, as a step sees it: the state the update found it in and
/// the values collected so far (python-telegram-bot's `context.user_data` for one dialogue).
/// Values set here are stored with the step's transition, in the update's transaction.
public final class Dialogue<State: Sendable>: Sendable {
    /// The state the update found (nil at an entry point).
    public let state: State?
    /// The same kind of value set as `ctx.userData`, kept with the conversation's row.
    private let values: StoredValues

    init(state: State?, values: [String: String]) {
        self.state = state
        self.values = StoredValues(values)
    }

    /// A value collected earlier, or set now.
    public subscript(key: String) -> String? {
        get { values[key] }
        set { values[key] = newValue }
    }

    /// Every value collected.
    public var all: [String: String] { values.all }
}
