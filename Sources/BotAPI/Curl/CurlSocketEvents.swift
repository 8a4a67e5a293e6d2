internal import CCurl
internal import CCurlShims
internal import CEpollShims
import Foundation

/// The readiness plumbing under `CurlMultiLoop`: an epoll set holding the sockets libcurl asks
/// to watch (its socket callback), the one timer it asks for (its timer callback), and an
/// eventfd that other threads write to wake the loop.
///
/// libcurl's `multi_socket` API, not `curl_multi_poll`: `poll` hands the kernel every socket of
/// every transfer in flight on each wake-up, and `curl_multi_perform` walks every transfer, so a
/// worker with a hundred replies in flight paid for all hundred at each of the several wake-ups
/// per reply (`sock_poll` and `tcp_poll` were its largest kernel symbols). Here a wake-up costs
/// the sockets that are ready, and libcurl looks only at their transfers.
///
/// Used on the loop thread only, except `wake()`. libcurl's callbacks reach it through an
/// unretained pointer; the loop keeps it alive for as long as the multi handle.
final class CurlSocketEvents {
    private let epoll: Int32
    private let wakeFD: Int32
    /// Sockets in the epoll set, with the events asked for.
    private var watched: [Int32: UInt32] = [:]
    /// When libcurl wants `curl_multi_socket_action(CURL_SOCKET_TIMEOUT)`; nil: no timer.
    private(set) var deadline: ContinuousClock.Instant?
    private var events = [epoll_event](repeating: epoll_event(), count: 64)

    init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        precondition(epoll >= 0 && wakeFD >= 0, "epoll_create1/eventfd failed: \(String(cString: strerror(errno)))")
        var event = epoll_event(events: EPOLLIN.rawValue, data: epoll_data_t(fd: wakeFD))
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wakeFD, &event) == 0, "epoll_ctl(eventfd) failed")
    }

    deinit {
        close(epoll)
        close(wakeFD)
    }

    /// Installs the socket and timer callbacks on `multi`.
    func attach(to multi: UnsafeMutableRawPointer) {
        let this = Unmanaged.passUnretained(self).toOpaque()
        _ = CCurlShims_multi_setopt_socket_callback(multi, curlSocketCallback)
        _ = CCurlShims_multi_setopt_pointer(multi, CURLMOPT_SOCKETDATA, this)
        _ = CCurlShims_multi_setopt_timer_callback(multi, curlTimerCallback)
        _ = CCurlShims_multi_setopt_pointer(multi, CURLMOPT_TIMERDATA, this)
    }

    /// Wakes the loop from any thread.
    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// libcurl's socket callback: watch `fd` for `what` (CURL_POLL_IN 1, OUT 2, INOUT 3), or
    /// stop (CURL_POLL_REMOVE 4).
    func watch(_ fd: Int32, what: Int32) {
        if what == 4 {
            if watched.removeValue(forKey: fd) != nil {
                // The socket may be closed already (the kernel then dropped it from the set).
                _ = epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
            }
            return
        }
        var events: UInt32 = 0
        if what & 1 != 0 { events |= EPOLLIN.rawValue }
        if what & 2 != 0 { events |= EPOLLOUT.rawValue }
        var event = epoll_event(events: events, data: epoll_data_t(fd: fd))
        if watched[fd] != nil {
            if watched[fd] == events { return }
            // A socket closed and its number reused without a REMOVE is no longer in the set.
            if epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) != 0, errno == ENOENT {
                _ = epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
            }
        } else if epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0, errno == EEXIST {
            _ = epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
        }
        watched[fd] = events
    }

    /// libcurl's timer callback: -1 removes the timer.
    func setTimer(milliseconds: Int) {
        deadline = milliseconds < 0 ? nil : .now + .milliseconds(milliseconds)
    }

    /// Takes the timer if it is due.
    func timerDue(now: ContinuousClock.Instant) -> Bool {
        guard let deadline, now >= deadline else { return false }
        self.deadline = nil
        return true
    }

    /// Waits up to `limit` (less if the timer is due sooner) and calls `ready` with each ready
    /// socket and its CURL_CSELECT_* mask; a wake-up is drained, not passed on.
    func wait(atMost limit: Duration, _ ready: (Int32, Int32) -> Void) {
        var timeout = limit
        if let deadline { timeout = max(.zero, min(timeout, deadline - .now)) }
        // Rounded up: a timer 0.4 ms away must not turn into a busy loop of 0 ms waits.
        let whole = timeout.milliseconds
        let n = epoll_wait(epoll, &events, Int32(events.count), Int32(clamping: .milliseconds(whole) < timeout ? whole + 1 : whole))
        guard n > 0 else { return }
        for event in events[0..<Int(n)] {
            let fd = event.data.fd
            if fd == wakeFD {
                var value: UInt64 = 0
                _ = read(wakeFD, &value, 8)
                continue
            }
            var mask: Int32 = 0
            if event.events & EPOLLIN.rawValue != 0 { mask |= 1 }
            if event.events & EPOLLOUT.rawValue != 0 { mask |= 2 }
            if event.events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 { mask |= 4 }
            ready(fd, mask)
        }
    }
}

private func curlSocketCallback(_ easy: UnsafeMutableRawPointer?, _ fd: curl_socket_t, _ what: Int32,
                                _ userp: UnsafeMutableRawPointer?, _ socketp: UnsafeMutableRawPointer?) -> Int32 {
    guard let userp else { return 0 }
    Unmanaged<CurlSocketEvents>.fromOpaque(userp).takeUnretainedValue().watch(fd, what: what)
    return 0
}

private func curlTimerCallback(_ multi: UnsafeMutableRawPointer?, _ milliseconds: Int, _ userp: UnsafeMutableRawPointer?) -> Int32 {
    guard let userp else { return 0 }
    Unmanaged<CurlSocketEvents>.fromOpaque(userp).takeUnretainedValue().setTimer(milliseconds: milliseconds)
    return 0
}
