import Bus
import Foundation
import Testing
@testable import ClusterRuntime

/// CURVE key files: made by libzmq, written in ZeroMQ's certificate layout, the secret file its
/// owner's alone, never overwritten, refused when others can read it.
@Suite("CurveKeyFile")
struct CurveKeyFileTests {
    @Test func aNewPair_roundTrips_andTheSecretFileIsPrivate() throws {
        #expect(CurveKeyPair.isAvailable)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pair = try CurveKeyPair.generate()
        #expect(CurveKeyPair.isZ85Key(pair.publicKey) && CurveKeyPair.isZ85Key(pair.secretKey) && pair.publicKey != pair.secretKey)
        let previous = umask(0o022)
        defer { umask(previous) }
        let paths = try CurveKeyFile.write(pair, name: "broker", directory: dir)
        var info = stat()
        #expect(stat(paths.secret, &info) == 0 && info.st_mode & 0o777 == 0o600)
        let secret = try CurveKeyFile.read(paths.secret)
        #expect(secret.publicKey == pair.publicKey && secret.secretKey == pair.secretKey)
        let pub = try CurveKeyFile.read(paths.public)
        #expect(pub.publicKey == pair.publicKey && pub.secretKey == nil)
        #expect(!String(decoding: FileManager.default.contents(atPath: paths.public)!, as: UTF8.self).contains(pair.secretKey))
        // Never overwritten.
        #expect(throws: (any Error).self) { try CurveKeyFile.write(try CurveKeyPair.generate(), name: "broker", directory: dir) }
        #expect(try CurveKeyFile.read(paths.secret).secretKey == pair.secretKey)
    }

    @Test func aSecretFileOthersCanRead_isRefused_asIsAMismatchedPair() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let paths = try CurveKeyFile.write(try CurveKeyPair.generate(), name: "worker", directory: dir)
        chmod(paths.secret, 0o644)
        let error = #expect(throws: CurveKeyFile.Failure.self) { try CurveKeyFile.read(paths.secret) }
        #expect(error?.description.contains("others can read it") == true)
        chmod(paths.secret, 0o600)
        let other = try CurveKeyPair.generate()
        let text = String(decoding: FileManager.default.contents(atPath: paths.secret)!, as: UTF8.self)
        let mismatched = text.replacingOccurrences(of: try CurveKeyFile.read(paths.secret).secretKey!, with: other.secretKey)
        try mismatched.write(toFile: paths.secret, atomically: false, encoding: .utf8)
        #expect(throws: CurveKeyFile.Failure.self) { try CurveKeyFile.read(paths.secret) }
        #expect(CurveKeyPair.publicKey(of: "not a key") == nil)
    }
}
