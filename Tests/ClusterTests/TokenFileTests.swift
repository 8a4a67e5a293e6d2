import ArgumentParser
import Foundation
import Testing
@testable import ClusterRuntime

/// The token from a file (`--token-file`) or systemd's credential, never from a command line;
/// an error names the file, never its contents.
@Suite("Token file")
struct TokenFileTests {
    static func file(_ contents: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-token-\(UUID().uuidString.prefix(8))").path
        try contents.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func tokenFile_isRead_firstLineTrimmed_andBeatsTheEnvironment() throws {
        let path = try Self.file("  123456:SECRET-from-file  \nignored\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try CommonOptions.parse(["--token-file", path]).configuration()
        #expect(c.token == "123456:SECRET-from-file")
        // --token (for tests and one-offs) still wins over the file.
        #expect(try CommonOptions.parse(["--token", "1:flag", "--token-file", path]).configuration().token == "1:flag")
    }

    @Test func anEmptyOrMissingFile_isAClearError_thatNeverShowsAToken() throws {
        let empty = try Self.file("\n")
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let error = #expect(throws: ValidationError.self) { try CommonOptions.parse(["--token-file", empty]).configuration() }
        #expect(error?.message.contains("holds no token") == true)
        let missing = #expect(throws: ValidationError.self) { try CommonOptions.parse(["--token-file", "/nonexistent/token"]).configuration() }
        #expect(missing?.message.contains("cannot read /nonexistent/token") == true)
    }

    @Test func systemdsCredential_isFoundInTheCredentialsDirectory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-cred-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(ClusterConfiguration.credentialFile(["CREDENTIALS_DIRECTORY": dir]) == nil)
        try "42:CRED\n".write(toFile: dir + "/telegram-bot-token", atomically: true, encoding: .utf8)
        let path = try #require(ClusterConfiguration.credentialFile(["CREDENTIALS_DIRECTORY": dir]))
        #expect(try ClusterConfiguration.readToken(path) == "42:CRED")
        #expect(ClusterConfiguration.credentialFile([:]) == nil)
    }
}
