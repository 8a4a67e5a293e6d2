import BotAPI
import Bus
import Foundation

/// The Bot API client's plain-HTTP loop as a bus loop's guest (`BusGuest`): the loop's lease
/// under the bus's protocol, since neither module knows the other. Ingest's poller and a
/// worker whose handlers run on its bus thread read their answers there.
final class PlainHTTPGuest: BusGuest {
    private let lease: PlainHTTPLoop.Lease

    init(_ lease: PlainHTTPLoop.Lease) {
        self.lease = lease
    }

    var descriptor: Int32 { lease.descriptor }

    func nextDeadline() -> ContinuousClock.Instant? { lease.nextDeadline() }

    func turn() { lease.turn() }

    func leave() { lease.end() }
}
