import BotAPI
import Foundation

/// A job a serial handler emitted, committed in the sequencer's outbox.
public struct Emission: Sendable, Equatable {
    /// The outbox row: stable across re-sends, so the broker runs it once while it lives.
    public var outboxID: UInt64
    /// Jobs of one key run in emission order (and after that chat's earlier updates).
    public var key: RoutingKey?
    public var action: OutboxAction

    public init(outboxID: UInt64, key: RoutingKey?, action: OutboxAction) {
        self.outboxID = outboxID
        self.key = key
        self.action = action
    }
}
