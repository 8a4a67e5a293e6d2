/// Where the text of a message-like update (`message.text`, ...) begins in the update's bytes:
/// found once by the scanner that reads every update on its way in (ingest), carried beside the
/// bytes to the broker (which routes on it) and to the worker (whose handler reads it), so that
/// neither walks the update's keys to it again (`scripts/bench instructions`).
public enum TextPosition: Sendable, Equatable {
    /// Not known: found by a walk when asked for (an update from the journal, from a test).
    case unknown
    /// The update's object for its kind has no `text`.
    case absent
    /// The offset of the text's JSON value (its opening quote) from the update's first byte.
    case at(Int)

    /// Itself if it can be true of an update of `count` bytes, else `unknown` (a position from
    /// another process is a hint: one past the bytes is never followed).
    public func checked(byteCount count: Int) -> TextPosition {
        if case .at(let offset) = self, offset < 0 || offset >= count { return .unknown }
        return self
    }
}
