import Bus
import Foundation
import Logging

/// The keys a process's ZeroMQ links use, from its configuration.
///
/// Local endpoints are `ipc://` files in the data directory (0700): no keys. Workers on other
/// hosts reach the broker over `tcp://`, and there CURVE is required: the broker's
/// `--remote-workers` socket is a CURVE server (its `--key`, an allow-list of worker hosts'
/// public keys), a worker host a CURVE client (its `--key`, the broker's `--server-key`). A
/// `tcp://` endpoint without keys is a boot error unless `--insecure-plaintext` says so, and
/// then every start warns.
package enum LinkSecurity {
    /// The ZAP domain of the broker's CURVE socket (enforced: see `ZMQSecurity.curveServer`).
    package static let domain = "tgcluster"

    /// ZMTP heartbeats on a `tcp://` link: the cluster's own interval, at least a second (they
    /// only make a dead connection close and redial; the roles' heartbeats judge liveness).
    static func deadPeerInterval(heartbeat: Duration) -> Duration {
        max(heartbeat, .seconds(1))
    }

    /// The broker's socket for remote workers.
    static func server(_ c: ClusterConfiguration, logger: Logger) throws -> ZMQSecurity {
        guard let endpoint = c.remoteWorkersEndpoint else { return .none }
        guard endpoint.hasPrefix("tcp://") else { throw ConfigurationError("--remote-workers must be tcp://HOST:PORT, got \(endpoint)") }
        if c.keyFile == nil, c.insecurePlaintext {
            warnPlaintext(endpoint, logger: logger)
            return .none
        }
        guard let keyFile = c.keyFile else {
            throw ConfigurationError("--remote-workers \(endpoint) needs --key (the broker's secret certificate, from `tgcluster keys new`) "
                                     + "and an allow-list (--allow-keys), or --insecure-plaintext")
        }
        let (_, secret) = try ownKeys(keyFile)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: c.allowedKeysPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ConfigurationError("the allow-list \(c.allowedKeysPath) is not a directory: put each worker host's NAME.key there (--allow-keys)")
        }
        return .curveServer(secretKey: secret, domain: domain)
    }

    /// A worker's or the sequencer's link to the broker, or ingest's.
    static func client(for endpoint: String, _ c: ClusterConfiguration, logger: Logger) throws -> ZMQSecurity {
        guard endpoint.hasPrefix("tcp://") else { return .none }
        if c.keyFile == nil, c.serverKeyFile == nil, c.insecurePlaintext {
            warnPlaintext(endpoint, logger: logger)
            return .none
        }
        guard endpoint == c.connectEndpoint, let keyFile = c.keyFile, let serverFile = c.serverKeyFile else {
            throw ConfigurationError("\(endpoint) is tcp:// without CURVE: a worker host connects with --connect tcp://HOST:PORT "
                                     + "--key HOST.key_secret --server-key BROKER.key (or --insecure-plaintext)")
        }
        let (publicKey, secret) = try ownKeys(keyFile)
        let server = try CurveKeyFile.read(serverFile)
        return .curveClient(publicKey: publicKey, secretKey: secret, serverKey: server.publicKey)
    }

    /// The broker's own endpoints for local processes: `tcp://` only in plaintext, on purpose.
    static func checkLocal(_ endpoint: String, flag: String, _ c: ClusterConfiguration, logger: Logger) throws {
        guard endpoint.hasPrefix("tcp://") else { return }
        guard c.insecurePlaintext else {
            throw ConfigurationError("\(flag) \(endpoint) is tcp:// without CURVE: keep it ipc:// and give other hosts --remote-workers "
                                     + "(CURVE), or pass --insecure-plaintext")
        }
        warnPlaintext(endpoint, logger: logger)
    }

    /// This process's own pair (`--key`), which must hold the secret half; CURVE must be built in.
    private static func ownKeys(_ keyFile: String) throws -> (publicKey: String, secretKey: String) {
        guard CurveKeyPair.isAvailable else { throw ConfigurationError("this libzmq was built without CURVE (zmq_has(\"curve\") is false)") }
        let own = try CurveKeyFile.read(keyFile)
        guard let secret = own.secretKey else { throw ConfigurationError("--key \(keyFile) holds no secret key (use NAME.key_secret)") }
        return (own.publicKey, secret)
    }

    private static func warnPlaintext(_ endpoint: String, logger: Logger) {
        logger.warning("INSECURE: \(endpoint) is plaintext and unauthenticated (--insecure-plaintext): anyone who reaches it can take or answer jobs")
    }
}
