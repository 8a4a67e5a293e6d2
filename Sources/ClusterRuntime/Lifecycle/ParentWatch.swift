import Foundation
import Locking

/// Makes a supervised child notice when its supervisor dies, even by SIGKILL, and terminate
/// itself gracefully, then hard after a grace period.
///
/// It waits on a pidfd of its parent (readable once the parent has ended), so an idle child
/// spends no wake-up on it; where pidfds do not exist (Linux before 5.3) it polls its parent
/// pid every 200 ms, as it did always before (5 wake-ups a second in every process of the
/// cluster: a fifth of an idle worker's). Not PR_SET_PDEATHSIG, which is tied to the thread
/// that spawned the child, not to the process.
enum ParentWatch {
    static let variable = "TGCLUSTER_SUPERVISOR_PID"

    static func start(grace: Duration) {
        guard let expected = ProcessInfo.processInfo.environment[variable].flatMap({ pid_t($0) }) else { return }
        let thread = Thread.named("tgc.parentwatch") {
            waitForTheEnd(of: expected)
            // Through the signal, so that the role stops as on any SIGTERM (its service group).
            kill(getpid(), SIGTERM)
            let seconds = UInt32(max(1, grace.components.seconds + 2))
            sleep(seconds)
            _exit(1)
        }
        thread.start()
    }

    /// Returns once `parent` is no longer this process's parent.
    static func waitForTheEnd(of parent: pid_t) {
        if let fd = ProcessDescriptor.open(parent) {
            // Opened after the parent died, the pid may be another process's: the parent check
            // after the open tells.
            if getppid() == parent {
                var ended = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                while poll(&ended, 1, -1) < 0, errno == EINTR {}
            }
            close(fd)
        }
        while getppid() == parent {
            usleep(200_000)
        }
    }
}
