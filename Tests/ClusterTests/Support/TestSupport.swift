import Foundation
import TGClusterTesting

/// Whether a process exists.
func isAlive(_ pid: pid_t) -> Bool {
    kill(pid, 0) == 0 || errno == EPERM
}

/// What chat `chat` should have received for `count` generated messages: "message n to chat c".
/// The chats whose replies differ from `expected` (missing, repeated or out of order), and the
/// first one's replies: one expectation per check that carries the cluster's incidents, rather
/// than one per chat.
func wrongChats(_ replies: [Int64: [String]], _ expected: [Int64: [String]]) -> String? {
    let wrong = expected.filter { replies[$0.key] != $0.value }.map(\.key).sorted()
    guard let first = wrong.first else { return nil }
    return "chats \(wrong) wrong; chat \(first) got \(replies[first] ?? []), not \(expected[first] ?? [])"
}

func expectedEcho(chats: Int, count: Int, firstChat: Int64 = 100_000) -> [Int64: [String]] {
    var out: [Int64: [String]] = [:]
    for i in 0..<count {
        let chat = firstChat + Int64(i % chats)
        out[chat, default: []].append("message \(i / chats + 1) to chat \(chat)")
    }
    return out
}

/// The names of process `pid`'s threads (`/proc/<pid>/task/*/comm`).
func threadNames(of pid: pid_t) -> [String] {
    ProcessThreads.ids(of: pid).compactMap { try? String(contentsOfFile: "/proc/\(pid)/task/\($0)/comm", encoding: .utf8) }
        .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// The wake-ups of thread `thread` of process `pid` while `count` messages go to chat `chat`
/// one at a time, each waited for until its reply (on top of those already sent) has come:
/// how the tests see which thread a reply's path wakes.
func wakeUps(of pid: pid_t, thread: String, sending count: Int, to chat: Int64, through cluster: ClusterHarness,
             text: (Int) -> String) async throws -> Int {
    let replied = try await cluster.replyCount()
    let before = ProcessThreads.wakeUps(of: pid, thread: thread)
    for i in 1...count {
        try await cluster.send(text(i), chat: chat)
        try await waitUntil("reply \(i)", timeout: .seconds(30)) { try await cluster.replyCount() >= replied + i }
    }
    return ProcessThreads.wakeUps(of: pid, thread: thread) - before
}

/// The project's test bot (Tests/ClusterTestBot), an executable product of this package.
let testBot = "tgcluster-testbot"

/// Whether the file at `path` holds `needle`, searched as bytes on a thread of its own (a
/// dead-letter file with a 12 MiB update in it, searched as a `String`, takes a pool thread
/// for seconds in a debug build).
func fileContains(_ path: String, _ needle: String) async -> Bool {
    await offThePool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return data.range(of: Data(needle.utf8)) != nil
    }
}

/// Whether a test that needs the tool at `path` runs: always on CI (`CI` set, where
/// scripts/setup installs it, so a missing install step fails instead of skipping), elsewhere
/// only when the tool is there.
func needs(_ path: String) -> Bool {
    FileManager.default.isExecutableFile(atPath: path) || ProcessInfo.processInfo.environment["CI"] != nil
}

/// A TCP port nothing is bound to now at `address`, for a process that a test starts to listen
/// on: from below the kernel's ephemeral range (`ip_local_port_range`, 32768–60999 here),
/// because a port of the kernel's own pick, released for the process to take, can be taken
/// first by any other test's `bind` to port 0 or outgoing connection, which all draw from that
/// range (the metrics test's CI failure, 5 Dec: a boot error and an empty log). Below it only
/// another caller of this function can collide, one chance in ~12,000 per pair.
func freePort(address: String = "127.0.0.1") -> Int {
    let low = ephemeralPortsStart()
    let range = low > 21_024 ? 20_000..<low : 1_024..<max(low, 1_025)
    for _ in 0..<200 {
        let port = Int.random(in: range)
        if portIsFree(port, address: address) { return port }
    }
    preconditionFailure("no free port below \(low) at \(address) in 200 tries")
}

/// The first port of the kernel's ephemeral range (`ip_local_port_range`).
func ephemeralPortsStart() -> Int {
    (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32_768
}

/// Whether a TCP socket can bind `address:port` now (without `SO_REUSEADDR`: a port in
/// TIME_WAIT counts as taken).
func portIsFree(_ port: Int, address: String = "127.0.0.1") -> Bool {
    guard let (fd, _) = try? boundSocket(port: port, address: address) else { return false }
    close(fd)
    return true
}

/// A TCP socket bound to `address:port` (0: a port of the kernel's pick), and its port.
func boundSocket(port: Int = 0, address: String = "127.0.0.1") throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr(address)
    addr.sin_port = UInt16(port).bigEndian
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard bound == 0 else {
        close(fd)
        throw POSIXError(.EADDRINUSE)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}
