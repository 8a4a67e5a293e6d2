import Foundation

/// Another event source that a `BusLoop` serves on its own thread (`BusLoop.host`): its
/// descriptor is polled with the sockets', and the loop calls `turn()` when it is readable or
/// its deadline has come, and at least every `BusLoop.guestBusyInterval` while the loop is too
/// busy to poll. For work whose results the bus thread itself awaits (the Bot API client's
/// answers to ingest's poller): one thread woken per event instead of two.
public protocol BusGuest: AnyObject, Sendable {
    /// Readable when the guest has work.
    var descriptor: Int32 { get }
    /// When the guest must turn although its descriptor is quiet; nil: only when it signals.
    func nextDeadline() -> ContinuousClock.Instant?
    /// Does what is ready without blocking, on the bus thread.
    func turn()
    /// The loop has stopped and will not turn the guest again (on the bus thread, once).
    func leave()
}
