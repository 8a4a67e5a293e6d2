import Foundation
import Testing
import TGClusterTesting

/// The systemd units under deploy/ are valid: `systemd-analyze verify` on each, with the
/// executables it names pointed at this build, without a single warning.
@Suite("Deploy units")
struct DeployUnitsTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy")

    static func units() -> [URL] {
        let walker = FileManager.default.enumerator(at: deploy, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "service" }.sorted { $0.path < $1.path }
    }

    /// Runs `systemd-analyze verify` on `unit`; its exit status and everything it printed.
    static func verify(_ unit: String) async throws -> (Int32, String) {
        let r = try await SpawnedProcess.run("/usr/bin/systemd-analyze", ["verify", "--man=no", unit])
        return (r.status, r.output)
    }

    @Test(.enabled(if: needs("/usr/bin/systemd-analyze")))
    func everyUnit_verifiesWithoutAWarning() async throws {
        let units = Self.units()
        #expect(units.count >= 2)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-units-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for unit in units {
            // This build's executables instead of the installed ones; a template as an instance
            // of the example bot.
            let text = try String(contentsOf: unit, encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/", with: ClusterHarness.binDir.path + "/")
            var name = unit.lastPathComponent
            if name.hasSuffix("@.service") { name = name.replacingOccurrences(of: "@.service", with: "@echobot.service") }
            let copy = dir.appendingPathComponent(name)
            try text.write(to: copy, atomically: true, encoding: .utf8)
            let (status, output) = try await Self.verify(copy.path)
            #expect(status == 0 && output.isEmpty, "\(unit.lastPathComponent): \(output)")
        }
        // And the check can fail: an unknown key is a warning, which counts.
        let broken = dir.appendingPathComponent("broken@echobot.service")
        try (try String(contentsOf: dir.appendingPathComponent("tgcluster@echobot.service"), encoding: .utf8))
            .replacingOccurrences(of: "Type=notify", with: "Type=notify\nWatchdogSecs=30s").write(to: broken, atomically: true, encoding: .utf8)
        let warned = try await Self.verify(broken.path).1
        #expect(!warned.isEmpty)
    }
}
