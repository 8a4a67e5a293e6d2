import BotAPI
import Foundation
import GRDB
import Synchronization

/// One serial update's share of the sequencer's open transaction: the store, the jobs its
/// handler emitted (written to the outbox only if the handler returns), and its chat.
final class SerialSession: Sendable {
    struct Emitted: Sendable {
        var name: String
        var input: Data
        var key: RoutingKey?
    }

    let store: StateStore
    let updateID: Int64
    let key: RoutingKey?
    let chatID: Int64?
    let userID: Int64?
    private let emitted = Mutex<[Emitted]>([])

    init(store: StateStore, updateID: Int64, key: RoutingKey?, chatID: Int64?, userID: Int64?) {
        self.store = store
        self.updateID = updateID
        self.key = key
        self.chatID = chatID
        self.userID = userID
    }

    func emit(_ name: String, input: Data, key: RoutingKey?) {
        emitted.withLock { $0.append(Emitted(name: name, input: input, key: key)) }
    }

    var emissions: [Emitted] { emitted.withLock { $0 } }
}

/// The name of the built-in outbox job that makes one Bot API call (a serial handler's
/// `reply` and `send`): input is the method name, a newline, and the JSON parameters.
enum DeferredCall {
    static let jobName = "tgcluster.send"

    static func input(method: String, json: Data) -> Data {
        Data(method.utf8) + Data([10]) + json
    }

    static func parse(_ input: Data) -> (method: String, json: Data)? {
        guard let newline = input.firstIndex(of: 10) else { return nil }
        return (String(decoding: input[input.startIndex..<newline], as: UTF8.self), Data(input[(newline + 1)...]))
    }
}
