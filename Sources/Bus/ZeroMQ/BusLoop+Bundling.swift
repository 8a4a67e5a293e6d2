import DequeModule
import Foundation

/// The loop's side of `Bundling`: a round's messages packed per peer on the way out, bundles
/// taken apart on the way in.
extension BusLoop {
    /// Moves a round's messages (`spare`, emptied) into the sockets' queues, in order; on a
    /// socket with `bundling`, those for one peer packed together.
    static func queue(_ spare: inout [(Int, [Data])], into pending: inout [Deque<[Data]>], bundling: [Bundling?]) {
        defer { spare.removeAll(keepingCapacity: true) }
        guard spare.count > 1, bundling.contains(where: { $0 != nil }) else {
            for (index, frames) in spare where index < pending.count { pending[index].append(frames) }
            return
        }
        var bySocket: [[[Data]]] = Array(repeating: [], count: pending.count)
        for (index, frames) in spare where index < pending.count { bySocket[index].append(frames) }
        for (index, messages) in bySocket.enumerated() where !messages.isEmpty {
            pending[index].append(contentsOf: bundling[index]?.packed(messages) ?? messages)
        }
    }

    /// Hands a received message to the consumer; a bundle as the messages it carries, in order.
    static func deliver(_ frames: [Data], from socket: Int, userID: String?, bundling: Bundling?, to emit: (Message) -> Void) {
        guard let bundling, let last = frames.last, let parts = bundling.unpack(last) else {
            emit(Message(socket: socket, frames: frames, userID: userID))
            return
        }
        var each = frames
        for part in parts {
            each[each.count - 1] = part
            emit(Message(socket: socket, frames: each, userID: userID))
        }
    }
}
