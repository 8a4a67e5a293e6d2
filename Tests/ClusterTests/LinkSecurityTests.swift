import Bus
import Foundation
import Logging
import Testing
@testable import ClusterRuntime

/// Which keys a link gets from the configuration, and what is refused at start.
@Suite("LinkSecurity")
struct LinkSecurityTests {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A broker pair and a host pair on disk, and an allow-list directory holding the host's key.
    struct Files {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-link-\(UUID().uuidString.prefix(8))").path
        let broker: CurveKeyPair
        let host: CurveKeyPair

        init() throws {
            broker = try CurveKeyPair.generate()
            host = try CurveKeyPair.generate()
            try CurveKeyFile.write(broker, name: "broker", directory: dir)
            try CurveKeyFile.write(host, name: "h1", directory: dir + "/host")
            try FileManager.default.createDirectory(atPath: dir + "/allowed", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: dir + "/host/h1.key", toPath: dir + "/allowed/h1.key")
        }

        func remove() { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test func theBrokersRemoteSocket_isACurveServer_andRefusesWithoutKeysOrAllowList() throws {
        let files = try Files()
        defer { files.remove() }
        var c = ClusterConfiguration()
        c.remoteWorkersEndpoint = "tcp://127.0.0.1:5555"
        #expect(throws: ConfigurationError.self) { try LinkSecurity.server(c, logger: logger) }
        c.keyFile = files.dir + "/broker.key_secret"
        #expect(throws: ConfigurationError.self, "no allow-list directory") { try LinkSecurity.server(c, logger: logger) }
        c.allowedKeysDirectory = files.dir + "/allowed"
        #expect(try LinkSecurity.server(c, logger: logger) == .curveServer(secretKey: files.broker.secretKey, domain: "tgcluster"))
        c.keyFile = files.dir + "/broker.key"
        #expect(throws: (any Error).self, "a public file is not a server's key") { try LinkSecurity.server(c, logger: logger) }
        c.remoteWorkersEndpoint = "ipc:///tmp/x.sock"
        #expect(throws: ConfigurationError.self) { try LinkSecurity.server(c, logger: logger) }
        // Plaintext only when said.
        var open = ClusterConfiguration()
        open.remoteWorkersEndpoint = "tcp://127.0.0.1:5555"
        open.insecurePlaintext = true
        #expect(try LinkSecurity.server(open, logger: logger) == .none)
    }

    @Test func aWorkerHost_connectsWithItsKeyAndTheServersKey() throws {
        let files = try Files()
        defer { files.remove() }
        var c = ClusterConfiguration()
        c.connectEndpoint = "tcp://10.0.0.1:5555"
        #expect(throws: ConfigurationError.self) { try LinkSecurity.client(for: "tcp://10.0.0.1:5555", c, logger: logger) }
        c.keyFile = files.dir + "/host/h1.key_secret"
        c.serverKeyFile = files.dir + "/broker.key"
        #expect(try LinkSecurity.client(for: "tcp://10.0.0.1:5555", c, logger: logger)
                == .curveClient(publicKey: files.host.publicKey, secretKey: files.host.secretKey, serverKey: files.broker.publicKey))
        // Local endpoints need nothing; a tcp:// that is not --connect is plaintext, refused.
        #expect(try LinkSecurity.client(for: "ipc:///tmp/w.sock", c, logger: logger) == .none)
        #expect(throws: ConfigurationError.self) { try LinkSecurity.client(for: "tcp://127.0.0.1:1", c, logger: logger) }
        #expect(throws: ConfigurationError.self) { try LinkSecurity.checkLocal("tcp://127.0.0.1:1", flag: "--workers-endpoint", c, logger: logger) }
        c.insecurePlaintext = true
        #expect(throws: Never.self) { try LinkSecurity.checkLocal("tcp://127.0.0.1:1", flag: "--workers-endpoint", c, logger: logger) }
    }

    @Test func theAllowList_admitsListedCurveKeys_andFollowsTheDirectory() throws {
        let files = try Files()
        defer { files.remove() }
        let keys = AllowedKeys(directory: files.dir + "/allowed", logger: logger)
        func request(_ key: String, mechanism: String = "CURVE", domain: String = "tgcluster") -> ZAPRequest {
            ZAPRequest(requestID: Data("1".utf8), domain: domain, address: "10.0.0.2", mechanism: mechanism, clientKey: key)
        }
        #expect(keys.decide(request(files.host.publicKey)) == .allow(userID: files.host.publicKey))
        #expect(keys.name(of: files.host.publicKey) == "h1")
        #expect(keys.decide(request(files.broker.publicKey)) == .deny("key not in the allow-list"))
        #expect(keys.decide(request(files.host.publicKey, mechanism: "NULL")) == .deny("CURVE required"))
        #expect(keys.decide(request(files.host.publicKey, domain: "other")) == .deny("CURVE required"))
        try FileManager.default.removeItem(atPath: files.dir + "/allowed/h1.key")
        keys.reload()
        #expect(!keys.contains(files.host.publicKey))
    }
}

@Suite("SupervisorState: worker host")
struct WorkerHostSupervisorTests {
    @Test func aWorkerHost_bootsOnlyItsWorkers() {
        let s = SupervisorState(configuration: .init(workers: 3, workersOnly: true), now: .now)
        #expect(SupervisorStateTests.spawned(s.boot()) == ["worker", "worker", "worker"])
    }
}
