import Foundation
import Testing

/// `tgcluster keys new|show`, as an operator runs them.
@Suite("tgcluster keys")
struct KeysCommandTests {
    @Test func new_writesAPair_show_printsThePublicKeyOnly_andNothingIsOverwritten() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-keys-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let made = try await Tool.run(["keys", "new", "worker-1", "--dir", dir], environment: [:])
        #expect(made.status == 0, "\(made.stderr)")
        let fromSecret = try await Tool.run(["keys", "show", dir + "/worker-1.key_secret"], environment: [:])
        let fromPublic = try await Tool.run(["keys", "show", dir + "/worker-1.key"], environment: [:])
        let key = fromPublic.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.count == 40 && fromSecret.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == key)
        let secretText = String(decoding: FileManager.default.contents(atPath: dir + "/worker-1.key_secret") ?? Data(), as: UTF8.self)
        #expect(secretText.contains("secret-key = ") && !fromSecret.stdout.contains("secret"))
        let again = try await Tool.run(["keys", "new", "worker-1", "--dir", dir], environment: [:])
        #expect(again.status != 0 && again.stderr.contains("not overwritten"))
        chmod(dir + "/worker-1.key_secret", 0o644)
        let open = try await Tool.run(["keys", "show", dir + "/worker-1.key_secret"], environment: [:])
        #expect(open.status != 0 && open.stderr.contains("chmod 600"), "\(open.stderr)")
    }
}
