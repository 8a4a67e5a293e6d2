/// A Bot API call that did not succeed, in a shape a handler can act on.
///
/// `errorCode`, `retryAfter` and `migrateToChatID` come from Telegram's
/// `{ok:false, error_code, description, parameters}`; transport failures have `kind == .network`
/// or `.timeout`. The description never contains the bot token.
public struct BotAPIError: Error, Sendable, CustomStringConvertible {
    /// What failed; a struct so that new kinds do not break users' `switch`es.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: Sendable, Hashable { case api, network, timeout, invalidResponse, encoding }
        private let code: Code

        /// Telegram answered `ok: false`.
        public static let api = Kind(code: .api)
        /// The request failed below HTTP (connect, send, receive).
        public static let network = Kind(code: .network)
        /// No complete answer within the timeout.
        public static let timeout = Kind(code: .timeout)
        /// An answer that is not the Bot API's JSON (an HTML 502 page, a truncated body).
        public static let invalidResponse = Kind(code: .invalidResponse)
        /// The parameters could not be encoded (an upload where JSON is required).
        public static let encoding = Kind(code: .encoding)

        public var description: String { "\(code)" }
    }

    public var kind: Kind
    /// The method called (`sendMessage`).
    public var method: String
    /// Telegram's `error_code`, which equals the HTTP status; nil below HTTP.
    public var errorCode: Int?
    /// Telegram's `description`, or what went wrong below it; token-free.
    public var message: String
    /// Seconds to wait before repeating (429 only).
    public var retryAfter: Int?
    /// The supergroup a group was migrated to (400 only).
    public var migrateToChatID: Int64?
    /// Attempts made before giving up.
    public var attempts: Int

    public init(kind: Kind, method: String, errorCode: Int? = nil, message: String,
                retryAfter: Int? = nil, migrateToChatID: Int64? = nil, attempts: Int = 1) {
        self.kind = kind
        self.method = method
        self.errorCode = errorCode
        self.message = message
        self.retryAfter = retryAfter
        self.migrateToChatID = migrateToChatID
        self.attempts = attempts
    }

    public var description: String {
        var text = "\(method): "
        if let errorCode { text += "\(errorCode) " }
        text += message
        if let retryAfter { text += " (retry after \(retryAfter) s)" }
        if let migrateToChatID { text += " (migrated to \(migrateToChatID))" }
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }

    /// Whether repeating the same call later may succeed (429, 5xx, network, timeout).
    public var isTransient: Bool {
        switch kind {
        case .network, .timeout: return true
        case .api, .invalidResponse: return errorCode.map { $0 == 429 || $0 >= 500 } ?? (kind == .invalidResponse)
        default: return false
        }
    }
}
