/// A failure reported by libcurl: the `CURLcode` and what we were doing.
///
/// `message` comes from libcurl's error buffer, with the bot token removed by the caller
/// (`Redactor`), since libcurl may quote the URL.
public struct CurlError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var operation: String
    public var message: String

    public init(code: Int32, operation: String, message: String) {
        self.code = code
        self.operation = operation
        self.message = message
    }

    public var description: String { "\(operation) failed (curl \(code)): \(message)" }

    /// Worth retrying: the request may not have reached the server, or its answer was lost.
    public var isTransient: Bool {
        switch code {
        case 5, 6, 7: return true        // couldn't resolve proxy/host, couldn't connect
        case 18, 23: return false        // partial file, write error (our side)
        case 28: return true             // timeout
        case 35: return true             // TLS connect error
        case 52, 55, 56: return true     // empty reply, send error, recv error
        case 16, 92: return true         // HTTP/2 framing, stream error
        default: return false
        }
    }

    public var isTimeout: Bool { code == 28 }
}
