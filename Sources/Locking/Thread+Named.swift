import Foundation

extension Thread {
    /// A thread whose name the operating system shows (`top -H`, `/proc/<pid>/task/*/comm`,
    /// `perf`). Foundation's `name` reaches the OS on Linux only when it is set from the thread
    /// itself, so every thread the runtime starts looked like one of libdispatch's pool. The
    /// name is written to `/proc/thread-self/comm` (what `pthread_setname_np` does, which
    /// Swift does not import from glibc); Linux keeps 15 bytes of it.
    public static func named(_ name: String, _ body: @escaping @Sendable () -> Void) -> Thread {
        let thread = Thread {
            let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            if fd >= 0 {
                let bytes = Array(name.utf8.prefix(15))
                _ = write(fd, bytes, bytes.count)
                close(fd)
            }
            body()
        }
        thread.name = name
        return thread
    }
}
