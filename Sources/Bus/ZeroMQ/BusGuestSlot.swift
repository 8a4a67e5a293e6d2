import Foundation

/// A `BusLoop`'s guest as its thread keeps it: where its descriptor sits in the poll set and
/// when the guest last had a look (a turn, or a poll that included its descriptor).
struct BusGuestSlot {
    private var guest: (any BusGuest)?
    private var index = 0
    private var checkedAt = ContinuousClock.now

    /// The guest's deadline as the loop's wait last read it (`polled` compares it, not asking
    /// the guest twice).
    private var due: ContinuousClock.Instant?

    /// The guest's next deadline, for the loop's wait.
    mutating func waitUntil() -> ContinuousClock.Instant? {
        due = guest?.nextDeadline()
        return due
    }

    /// Takes the guest `host` gave: its descriptor joins the poll set, and it turns at once
    /// (work may be waiting already, and its deadline is known only once it has turned).
    mutating func adopt(_ arriving: any BusGuest, into descriptors: inout [pollfd]) {
        guest = arriving
        index = descriptors.count
        descriptors.append(pollfd(fd: arriving.descriptor, events: Int16(POLLIN), revents: 0))
        arriving.turn()
        checkedAt = .now
    }

    /// After the loop's poll: the guest turns if its descriptor signalled or its deadline (read
    /// for the poll) came.
    mutating func polled(_ descriptors: [pollfd], now: ContinuousClock.Instant) {
        guard let guest else { return }
        if descriptors[index].revents != 0 || due.map({ now >= $0 }) == true { guest.turn() }
        checkedAt = now
    }

    /// A round of a loop too busy to poll: the guest turns if it has not had a look for
    /// `BusLoop.guestBusyInterval` (the clock read only when there is a guest).
    mutating func busy(_ clock: ContinuousClock) {
        guard let guest else { return }
        let now = clock.now
        guard now - checkedAt >= BusLoop.guestBusyInterval else { return }
        guest.turn()
        checkedAt = now
    }

    /// The loop has stopped.
    mutating func leave() {
        guest?.leave()
        guest = nil
    }
}
