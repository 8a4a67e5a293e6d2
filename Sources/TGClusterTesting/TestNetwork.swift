import Foundation

/// Hosts on one machine for the multi-host tests: network namespaces joined by a bridge.
///
/// The core host is the test's own namespace, on the bridge's address (10.231.N.1: the
/// emulator and the broker's remote-workers socket listen there, nowhere else); each worker
/// host is a namespace of its own at 10.231.N.(11+i), reached through a veth pair whose core
/// end can be set down to cut that host off. Every name carries a random id, and `destroy`
/// (called by `withTestNetwork` on every path) removes the namespaces and the bridge.
///
/// Needs root and iproute2 (`available`); tgcluster's own tests and `scripts/bench remote` use it.
public final class TestNetwork: Sendable {
    public static let ip = "/usr/sbin/ip"

    /// Root and iproute2: what creating namespaces takes.
    public static var available: Bool {
        FileManager.default.isExecutableFile(atPath: ip) && getuid() == 0
    }

    public let id: String
    public let subnet: Int
    public let hosts: [String]

    public var bridge: String { "tgcb\(id)" }
    /// The core host's address: bind servers the worker hosts must reach here.
    public var coreAddress: String { "10.231.\(subnet).1" }
    /// Worker host `host`'s address.
    public func address(_ host: Int) -> String { "10.231.\(subnet).\(11 + host)" }
    /// The veth end on the core's side (set down: the host is cut off).
    public func coreLink(_ host: Int) -> String { "tgcv\(id)h\(host)" }

    private init(id: String, subnet: Int, hosts: Int) {
        self.id = id
        self.subnet = subnet
        self.hosts = (0..<hosts).map { "tgct\(id)h\($0)" }
    }

    /// Creates the bridge and `hosts` namespaces; on a failure, removes what it made.
    public static func create(hosts: Int) async throws -> TestNetwork {
        let used = try await output([ip, "-o", "addr", "show"])
        let free = (1...250).filter { !used.contains("10.231.\($0).") }
        guard let subnet = free.randomElement() else { throw NetworkError(message: "no free 10.231.N.0/24") }
        let network = TestNetwork(id: String(format: "%04x", UInt16.random(in: 0...UInt16.max)), subnet: subnet, hosts: hosts)
        do {
            try await network.build()
        } catch {
            await network.destroy()
            throw error
        }
        return network
    }

    private func build() async throws {
        try await Self.run(["link", "add", bridge, "type", "bridge"])
        try await Self.run(["addr", "add", "\(coreAddress)/24", "dev", bridge])
        try await Self.run(["link", "set", bridge, "up"])
        for (i, ns) in hosts.enumerated() {
            try await Self.run(["netns", "add", ns])
            try await Self.run(["link", "add", coreLink(i), "type", "veth", "peer", "name", "eth0", "netns", ns])
            try await Self.run(["link", "set", coreLink(i), "master", bridge, "up"])
            try await Self.run(["-n", ns, "addr", "add", "\(address(i))/24", "dev", "eth0"])
            try await Self.run(["-n", ns, "link", "set", "eth0", "up"])
            try await Self.run(["-n", ns, "link", "set", "lo", "up"])
        }
    }

    /// The command line that runs `arguments` inside host `host`'s namespace.
    public func inHost(_ host: Int, _ arguments: [String]) -> [String] {
        ["netns", "exec", hosts[host]] + arguments
    }

    /// Cuts host `host` off (its link down) or connects it again.
    public func setLink(_ host: Int, up: Bool) async throws {
        try await Self.run(["link", "set", coreLink(host), up ? "up" : "down"])
    }

    /// Removes the namespaces and the bridge (their veth pairs go with them). Processes still
    /// inside a namespace must be killed first: they would keep it alive.
    public func destroy() async {
        for ns in hosts {
            let pids = ((try? await Self.output([Self.ip, "netns", "pids", ns])) ?? "").split(whereSeparator: \.isNewline)
            for pid in pids.compactMap({ pid_t($0) }) { kill(pid, SIGKILL) }
            try? await Self.run(["netns", "del", ns])
        }
        try? await Self.run(["link", "del", bridge])
    }

    public struct NetworkError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Runs `ip arguments`; throws with its output if it fails.
    public static func run(_ arguments: [String]) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-ip-\(UUID().uuidString.prefix(8)).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let p = try SpawnedProcess(executable: ip, arguments: arguments, environment: [:], output: log.path)
        try await waitUntil("ip \(arguments.joined(separator: " "))", timeout: .seconds(20)) { !p.isRunning }
        guard p.terminationStatus == 0 else {
            throw NetworkError(message: "ip \(arguments.joined(separator: " ")): exit \(p.terminationStatus): "
                               + ((try? String(contentsOf: log, encoding: .utf8)) ?? ""))
        }
    }

    /// What `command` prints (stdout and stderr).
    public static func output(_ command: [String]) async throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-ip-\(UUID().uuidString.prefix(8)).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let p = try SpawnedProcess(executable: command[0], arguments: Array(command.dropFirst()), environment: [:], output: log.path)
        try await waitUntil("\(command.joined(separator: " "))", timeout: .seconds(20)) { !p.isRunning }
        return (try? String(contentsOf: log, encoding: .utf8)) ?? ""
    }
}

/// Runs `body` with a network of `hosts` worker hosts, removed afterwards whatever happens.
public func withTestNetwork<T>(hosts: Int, _ body: (TestNetwork) async throws -> T) async throws -> T {
    let network = try await TestNetwork.create(hosts: hosts)
    do {
        let result = try await body(network)
        await network.destroy()
        return result
    } catch {
        await network.destroy()
        throw error
    }
}
