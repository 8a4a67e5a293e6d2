import BotAPI
import Locking
import Synchronization

/// The update of a context, decoded on first use and kept: every typed accessor of that
/// context (and of its copies) shares one decode. A handler that reads only `ctx.text` or
/// `ctx.chatID` (which walk the raw bytes) never pays for it.
package final class DecodedUpdate: Sendable {
    private let decoded = Mutex<Result<Update, any Error>?>(nil)

    package init() {}

    /// The update, decoded once; the same error every time if it does not decode.
    func update(_ raw: RawUpdate) throws -> Update {
        try decoded.locked { cached in
            if let cached { return try cached.get() }
            let result = Result { try raw.decode() }
            cached = result
            return try result.get()
        }
    }
}
