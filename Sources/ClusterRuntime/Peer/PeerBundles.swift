import Bus
import Foundation
import Wire

/// The frames one round of a bus loop sends to each peer, written as they are made into one
/// BUNDLE per peer (one plain frame when the round has one for the peer): the broker's JOBs for
/// each worker, and a worker's DONEs for the broker (`PeerLink`, one peer).
///
/// The bus packs a round's messages for a peer itself (`Bundling`), but only after each was
/// made a message of its own: a JOB written into a writer, copied out into a `Data`, put in a
/// `[identity, message]` pair, queued, grouped by peer, copied again into the bundle and freed,
/// ~1,800 instructions a job (`scripts/bench instructions`: the broker 24.4k → 22.4k an update). Here a frame is written once,
/// where it goes. Bounded as the bus bounds its bundles (`Bundling.maxMessages`, `maxBytes`):
/// a full bundle is closed and the peer's next frames start another, in order; the bus sends a
/// bundle made here as it is (`Bundling.isPacked`), never inside another.
///
/// Used on the bus thread only, within a round: `BrokerService` writes into it while it handles
/// the round's messages and `send`s it at the round's end; `PeerLink` while the loop runs its
/// jobs (`BusLoop.runsJobsHere`), and sends it when they have run (`jobsEnd`).
final class PeerBundles {
    /// One peer's frames in this round.
    private final class Entry {
        let socket: Int
        /// The peer's identity on a ROUTER socket; nil on a DEALER, which has one peer.
        let routing: Data?
        var writer: ByteWriter
        var frames = 0

        init(socket: Int, routing: Data?, capacity: Int) {
            self.socket = socket
            self.routing = routing
            writer = ByteWriter(capacity: capacity)
            Frame.beginBundle(in: &writer)
        }
    }

    private let maxFrames: Int
    private let maxBytes: Int
    /// The round's entries in the order of their first frame; a closed entry stays in its place.
    private var entries: [Entry] = []
    /// Each peer's open entry, by its index in `entries`: a round speaks to a few peers, so a
    /// scan (comparing their hashes first) costs less than a table.
    private var open: [(peer: PeerID, index: Int)] = []
    /// The largest message of the last round: a new entry's room, so that a bundle of tens of
    /// jobs is not copied as it doubles its way up from one job's size.
    private var roomHint = 0

    init(limits: Bundling = .frames) {
        maxFrames = limits.maxMessages
        maxBytes = limits.maxBytes
    }

    /// Whether nothing waits to be sent.
    var isEmpty: Bool { entries.isEmpty }

    /// Writes `frame` for the one peer of DEALER socket `socket`, after the round's earlier ones.
    func append(_ frame: Frame, socket: Int) {
        append(frame, to: Self.onlyPeer, routing: nil, socket: socket)
    }

    /// The key of a DEALER's one peer (told apart from another DEALER's by the socket).
    private static let onlyPeer = PeerID(Data())

    /// Writes `frame` for `peer` (`routing` names it on `socket`), after the round's earlier ones.
    func append(_ frame: Frame, to peer: PeerID, routing: Data?, socket: Int) {
        let size = frame.sizeEstimate
        let slot = open.firstIndex { $0.peer == peer && entries[$0.index].socket == socket }
        if let slot {
            let entry = entries[open[slot].index]
            if entry.frames < maxFrames, entry.writer.count - Frame.bundlePrefix + size <= maxBytes {
                write(frame, into: entry)
                return
            }
        }
        let entry = Entry(socket: socket, routing: routing, capacity: max(Frame.bundlePrefix + 4 + size, roomHint))
        if let slot { open[slot].index = entries.count } else { open.append((peer, entries.count)) }
        entries.append(entry)
        write(frame, into: entry)
    }

    private func write(_ frame: Frame, into entry: Entry) {
        entry.writer.blob { frame.encode(into: &$0) }
        entry.frames += 1
    }

    /// Hands the round's messages to `bus`, in order, and forgets them.
    func send(on bus: BusLoop) {
        guard !entries.isEmpty else { return }
        for message in take() { bus.send(message.frames, on: message.socket) }
    }

    /// The round's messages, in order, each `[routing, message]` (`[message]` on a DEALER) for
    /// its socket: a peer's one frame as it is, several as their BUNDLE. Forgets them.
    func take() -> [(socket: Int, frames: [Data])] {
        defer {
            entries.removeAll(keepingCapacity: true)
            open.removeAll(keepingCapacity: true)
        }
        roomHint = min(entries.reduce(0) { max($0, $1.writer.count) }, maxBytes)
        return entries.map { entry in
            let message = entry.frames == 1 ? entry.writer.data(from: Frame.bundlePrefix + 4) : entry.writer.data
            return (entry.socket, entry.routing.map { [$0, message] } ?? [message])
        }
    }
}
