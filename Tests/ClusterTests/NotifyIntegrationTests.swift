@testable import ClusterRuntime
import Foundation
import Locking
import Synchronization
import Testing
import TGClusterTesting

/// The supervisor under a service manager: a Unix datagram socket the test binds stands in for
/// systemd's `NOTIFY_SOCKET`.
@Suite("systemd notify (processes)", .serialized)
struct NotifyIntegrationTests {
    /// Binds `path` and collects every datagram with the time it arrived, on its own thread.
    final class Listener: Sendable {
        let path: String
        private let fd: Int32
        private let received = Mutex<[(message: String, at: ContinuousClock.Instant, peers: [String])]>([])
        private let stopped = Mutex(false)
        private let dataDir: String

        init(path: String, dataDir: String) throws {
            self.path = path
            self.dataDir = dataDir
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (i, b) in path.utf8.enumerated() { raw[i] = b }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            try #require(bound == 0, "bind \(path): \(errno)")
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            Thread.detachNewThread { [self] in self.receive() }
        }

        private func receive() {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !stopped.locked({ $0 }) {
                let n = recv(fd, &buffer, buffer.count, 0)
                guard n > 0 else { continue }
                let now = ContinuousClock.now
                // What the broker had registered when READY arrived.
                let peers = (BrokerStatus.read(dataDir: dataDir)?.peers ?? []).map(\.role)
                let lines = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").map(String.init)
                received.locked { r in for line in lines { r.append((line, now, peers)) } }
            }
            close(fd)
        }

        var messages: [(message: String, at: ContinuousClock.Instant, peers: [String])] { received.locked { $0 } }
        func stop() { stopped.locked { $0 = true } }
    }

    @Test func ready_afterThePeersRegister_watchdogPings_stoppingOnSigterm_andChildrenDoNotInheritTheSocket() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-notify-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let listener = try Listener(path: dir + "/notify.sock", dataDir: dir + "/data")
        defer {
            listener.stop()
            try? FileManager.default.removeItem(atPath: dir)
        }
        try await withCluster(bot: testBot, workers: 2, environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"],
                              dataDir: dir + "/data") { cluster in
            try await waitUntil("READY=1", timeout: .seconds(30)) { listener.messages.contains { $0.message == "READY=1" } }
            let ready = try #require(listener.messages.first { $0.message == "READY=1" })
            #expect(ready.peers.filter { $0 == "worker" }.count == 2 && ready.peers.contains("sequencer"),
                    "READY only once the workers and the sequencer are registered: \(ready.peers)")
            // Ready means it answers.
            try await cluster.send("hello after ready", chat: 5)
            try await waitUntil("the answer", timeout: .seconds(10)) { try await cluster.replies()[5] == ["hello after ready"] }
            // WATCHDOG_USEC=1s: a ping every half second from the supervisor's loop.
            let start = ContinuousClock.now
            try await Task.sleep(for: .seconds(3))
            let pings = listener.messages.filter { $0.message == "WATCHDOG=1" && $0.at >= start }.count
            #expect((4...8).contains(pings), "\(pings) pings in 3 s")
            #expect(listener.messages.contains { $0.message.hasPrefix("STATUS=2/2 workers") })
            // The notifications are the supervisor's: no child has the socket in its environment.
            for child in cluster.children() {
                // Read to the end: procfs gives no size, and `Data(contentsOf:)` stops at the first page.
                let environ = String(decoding: FileHandle(forReadingAtPath: "/proc/\(child.pid)/environ")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
                // Booleans, so that a failure does not print the environment (it holds the token).
                let inherited = environ.contains("NOTIFY_SOCKET")
                #expect(!inherited, "\(child.role) inherited NOTIFY_SOCKET")
                // And each runs on mimalloc (`Allocator`), which the executable links ahead of libc,
                // with the supervisor's setting that keeps freed pages for a second.
                #expect(environ.contains("MIMALLOC_DECOMMIT_DELAY=1000"), "\(child.role) runs without the supervisor's allocator setting")
                if TestBounds.sanitizer == nil {
                    let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/\(child.pid)/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
                    #expect(maps.contains("libmimalloc.so"), "\(child.role) does not map mimalloc")
                }
            }
            #expect(listener.messages.filter { $0.message == "READY=1" }.count == 1)
            #expect(!listener.messages.contains { $0.message == "STOPPING=1" })
            #expect(try await cluster.stop() == 0)
            try await waitUntil("STOPPING=1", timeout: .seconds(5)) { listener.messages.contains { $0.message == "STOPPING=1" } }
        }
    }
}
