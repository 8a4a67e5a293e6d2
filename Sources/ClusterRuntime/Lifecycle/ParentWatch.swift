import Foundation
import Locking

/// Makes a supervised child notice when its supervisor dies, even by SIGKILL: it polls its
/// parent pid (cheap, and unlike PR_SET_PDEATHSIG not tied to the spawning thread) and
/// terminates itself gracefully, then hard after a grace period.
enum ParentWatch {
    static let variable = "TGCLUSTER_SUPERVISOR_PID"

    static func start(grace: Duration) {
        guard let expected = ProcessInfo.processInfo.environment[variable].flatMap({ pid_t($0) }) else { return }
        let thread = Thread.named("tgc.parentwatch") {
            while getppid() == expected {
                usleep(200_000)
            }
            // Through the signal, so that the role stops as on any SIGTERM (its service group).
            kill(getpid(), SIGTERM)
            let seconds = UInt32(max(1, grace.components.seconds + 2))
            sleep(seconds)
            _exit(1)
        }
        thread.start()
    }
}
