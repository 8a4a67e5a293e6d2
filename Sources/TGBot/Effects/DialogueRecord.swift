import Foundation

/// A declared conversation's record for one key, as stored: the current state, the values
/// collected, when it times out, and the update that last moved it (what a timeout handler
/// gets as its context).
package struct DialogueRecord: Sendable, Equatable {
    package var state: String
    package var data: [String: String]
    package var expiresAt: Date?
    package var lastUpdate: Data

    package init(state: String, data: [String: String], expiresAt: Date?, lastUpdate: Data) {
        self.state = state
        self.data = data
        self.expiresAt = expiresAt
        self.lastUpdate = lastUpdate
    }
}
