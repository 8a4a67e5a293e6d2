/// A Bot API error as Telegram words it: `{"ok":false,"error_code":..,"description":..}`.
public struct APIError: Error, Sendable, Equatable {
    public var code: Int
    public var description: String
    public var retryAfter: Int?

    public init(_ code: Int, _ description: String, retryAfter: Int? = nil) {
        self.code = code
        self.description = description
        self.retryAfter = retryAfter
    }

    public static func badRequest(_ text: String) -> APIError { APIError(400, "Bad Request: " + text) }
    public static let unauthorized = APIError(401, "Unauthorized")
    public static let notFound = APIError(404, "Not Found")
    public static let chatNotFound = badRequest("chat not found")
    public static let blocked = APIError(403, "Forbidden: bot was blocked by the user")

    public static func tooManyRequests(retryAfter: Int) -> APIError {
        APIError(429, "Too Many Requests: retry after \(retryAfter)", retryAfter: retryAfter)
    }

    /// The response body.
    public var json: String {
        var s = #"{"ok":false,"error_code":\#(code),"description":\#(JSONText.quoted(description))"#
        if let retryAfter { s += #","parameters":{"retry_after":\#(retryAfter)}"# }
        return s + "}"
    }
}
