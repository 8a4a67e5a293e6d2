import Foundation
import Locking
import Synchronization

/// Tells the supervisor's loop that a child has ended, so that the loop need not look every
/// few milliseconds: an idle supervisor polling every 50 ms was the most wakeful process of an
/// idle cluster (83 wake-ups a second, a third of its CPU).
///
/// One pidfd per child (readable once the process has ended: no signal handler, and no other
/// code's children), all waited on in one `poll(2)` by a thread of its own, with a pipe for new
/// children and the stop. It only wakes the loop (`onExit`), which reaps by pid as before.
/// `watch` returns false where pidfds do not exist (Linux before 5.3): the loop then looks often.
final class ChildWatch: Sendable {
    private struct Watched: ~Copyable {
        var descriptors: [pid_t: Int32] = [:]
        var running = true
    }

    private let watched = Mutex(Watched())
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let onExit: @Sendable () -> Void

    init(onExit: @escaping @Sendable () -> Void) {
        self.onExit = onExit
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            for fd in fds {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            }
        }
        (wakeRead, wakeWrite) = (fds[0], fds[1])
        Thread.named("tgc.children") { [self] in run() }.start()
    }

    /// Watches `pid` (a child of this process) until it ends; false if it cannot be watched.
    func watch(_ pid: pid_t) -> Bool {
        guard wakeRead >= 0 else { return false }
        guard let fd = ProcessDescriptor.open(pid) else { return false }
        // Woken under the lock: the thread closes the pipe under it once stopped.
        let added = watched.locked { w -> Bool in
            guard w.running else { return false }
            w.descriptors[pid] = fd
            wake()
            return true
        }
        if !added { close(fd) }
        return added
    }

    /// Ends the thread (it closes what it still watches).
    func stop() {
        watched.locked { w in
            guard w.running else { return }
            w.running = false
            wake()
        }
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func run() {
        guard wakeRead >= 0 else { return }
        while true {
            let (running, watching) = watched.locked { w in (w.running, w.descriptors.map { ($0.key, $0.value) }) }
            guard running else { break }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
                + watching.map { pollfd(fd: $0.1, events: Int16(POLLIN), revents: 0) }
            guard poll(&fds, nfds_t(fds.count), -1) > 0 else { continue }  // EINTR
            if fds[0].revents != 0 {
                var bytes: (UInt64, UInt64) = (0, 0)
                while read(wakeRead, &bytes, 16) > 0 {}
            }
            let ended = zip(watching, fds.dropFirst()).filter { $0.1.revents != 0 }.map(\.0)
            guard !ended.isEmpty else { continue }
            watched.locked { w in
                for (pid, fd) in ended {
                    w.descriptors[pid] = nil
                    close(fd)
                }
            }
            onExit()
        }
        watched.locked { w in
            for fd in w.descriptors.values { close(fd) }
            w.descriptors.removeAll()
            close(wakeRead)
            close(wakeWrite)
        }
    }
}
