internal import CSpawnShims
import Foundation

/// A pidfd: a descriptor that becomes readable once its process has ended (Linux 5.3+). The
/// supervisor watches its children with them (`ChildWatch`) and each child its supervisor
/// (`ParentWatch`): no signal handler, no polling, no wake-up until the end.
enum ProcessDescriptor {
    /// A pidfd for `pid`, close-on-exec; nil where pidfds do not exist or the process is gone.
    static func open(_ pid: pid_t) -> Int32? {
        let fd = CSpawnShims_pidfd_open(pid)
        return fd >= 0 ? fd : nil
    }
}
