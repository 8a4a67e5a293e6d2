import Foundation

/// Removes the bot token from any text that may leave the process (errors, log lines).
///
/// The token is in every request URL, and libcurl or a server may quote the URL back; every
/// string the client surfaces passes through here first.
public struct Redactor: Sendable {
    private let secret: String

    public init(secret: String) { self.secret = secret }

    public static let placeholder = "<redacted>"

    public func callAsFunction(_ text: String) -> String {
        guard !secret.isEmpty, text.contains(secret) else { return text }
        return text.replacingOccurrences(of: secret, with: Redactor.placeholder)
    }
}
