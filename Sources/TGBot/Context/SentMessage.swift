import BotAPI
import Foundation

/// The answer to a send: the `Message` Telegram returned, decoded on demand.
public struct SentMessage: Sendable {
    /// The raw `{"ok":true,"result":{...}}` body (empty for a serial handler's deferred call).
    public let response: Data

    package init(response: Data) { self.response = response }

    public func message() throws -> Message {
        struct Envelope: Decodable { var result: Message }
        return try JSONDecoder().decode(Envelope.self, from: response).result
    }
}
