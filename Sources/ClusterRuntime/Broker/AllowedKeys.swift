import Bus
import Foundation
import Logging
import Locking
import Synchronization

/// The broker's allow-list: the public keys of the worker hosts it admits, read from a
/// directory of certificates (`NAME.key`, as `tgcluster keys new` writes them).
///
/// Read again about once a second: a key added there is admitted at its next handshake, a key
/// removed is refused from then on, on open connections too (the broker checks each message's
/// `User-Id`, which the ZAP handler set to the key). Shared by the ZAP thread and the broker's
/// loop, behind a lock.
final class AllowedKeys: Sendable {
    let directory: String
    private let keys = Mutex<[String: String]>([:])
    /// When each refused key and address was last logged: a refused client redials every
    /// 100 ms, and one line a minute says enough.
    private let refusals = Mutex<[String: ContinuousClock.Instant]>([:])
    private let logger: Logger

    init(directory: String, logger: Logger) {
        self.directory = directory
        self.logger = logger
        reload()
    }

    /// Whether `key` (Z85) is admitted.
    func contains(_ key: String) -> Bool { keys.locked { $0[key] != nil } }

    /// The certificate name a key was admitted under (`host-a` for `host-a.key`).
    func name(of key: String) -> String? { keys.locked { $0[key] } }

    /// Reads the directory; logs the keys that came and went. A file that does not parse is
    /// skipped with a warning (the others still count).
    func reload() {
        var fresh: [String: String] = [:]
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in files.sorted() where file.hasSuffix(".key") {
            do {
                let cert = try CurveKeyFile.read(directory + "/" + file)
                fresh[cert.publicKey] = String(file.dropLast(4))
            } catch {
                logger.warning("allow-list: skipped a certificate", metadata: ["file": "\(file)", "error": "\(error)"])
            }
        }
        let old = keys.locked { k in defer { k = fresh }; return k }
        guard old != fresh else { return }
        for (key, name) in fresh where old[key] == nil {
            logger.info("allow-list: key admitted", metadata: ["name": "\(name)", "public_key": "\(key)"])
        }
        for (key, name) in old where fresh[key] == nil {
            logger.warning("allow-list: key removed; its connections are refused", metadata: ["name": "\(name)", "public_key": "\(key)"])
        }
    }

    /// The ZAP handler's rule: CURVE with a listed key, in the cluster's domain.
    func decide(_ request: ZAPRequest) -> ZAPRequest.Decision {
        guard request.domain == LinkSecurity.domain, request.mechanism == "CURVE", let key = request.clientKey else {
            return .deny("CURVE required")
        }
        if contains(key) { return .allow(userID: key) }
        let now = ContinuousClock.now
        let log = refusals.locked { r -> Bool in
            if r.count > 10_000 { r.removeAll() }
            guard r[key + request.address].map({ now - $0 >= .seconds(60) }) ?? true else { return false }
            r[key + request.address] = now
            return true
        }
        if log {
            // The public key and the address only: nothing secret passes through here.
            logger.warning("refused a worker host: its key is not in the allow-list",
                           metadata: ["public_key": "\(key)", "address": "\(request.address)", "allow_list": "\(directory)"])
        }
        return .deny("key not in the allow-list")
    }
}
