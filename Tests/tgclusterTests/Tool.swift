import Foundation
import TGClusterTesting

/// Runs the built `tgcluster` executable, as a user would, with a deadline.
enum Tool {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The `tgcluster` next to the test bundle (both live in the build folder).
    static var executable: URL {
        get throws {
            let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            for dir in [beside, beside.deletingLastPathComponent()] {
                let url = dir.appendingPathComponent("tgcluster")
                if FileManager.default.isExecutableFile(atPath: url.path) { return url }
            }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let url = root.appendingPathComponent(".build/debug/tgcluster")
            guard FileManager.default.isExecutableFile(atPath: url.path) else {
                throw ToolError(message: "tgcluster is not built (run `swift build` first); looked beside \(beside.path) and in .build/debug")
            }
            return url
        }
    }

    struct ToolError: Error { var message: String }

    static func run(_ arguments: [String], environment: [String: String], timeout: Duration = .seconds(60)) async throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = nil
        env["TELEGRAM_API_URL"] = nil
        env.merge(environment) { $1 }
        do {
            let r = try await SpawnedProcess.run(try executable.path, arguments, environment: env, separateErrors: true, timeout: timeout)
            return Result(status: r.status, stdout: r.output, stderr: r.errors)
        } catch let error as SpawnedProcessTimeout {
            throw ToolError(message: "\(error)")
        }
    }

    /// A started `tgcluster` whose stdout goes to a file, read for its first line.
    final class Running: Sendable {
        let process: SpawnedProcess
        private let out: String

        init(process: SpawnedProcess, out: String) {
            self.process = process
            self.out = out
        }

        /// The first line of stdout; the process is killed if none comes within 30 s.
        func firstLine() async throws -> String {
            let deadline = ContinuousClock.now + TestBounds.notStuck(.seconds(30))
            while ContinuousClock.now < deadline {
                let text = FileManager.default.contents(atPath: out).map { String(decoding: $0, as: UTF8.self) } ?? ""
                if let newline = text.firstIndex(of: "\n") { return String(text[..<newline]) }
                if !process.isRunning { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(process.processIdentifier, SIGKILL)
            throw ToolError(message: "tgcluster printed no first line")
        }

        /// Waits for the exit status; kills the process after `timeout`.
        func wait(timeout: Duration) async throws -> Int32 {
            let deadline = ContinuousClock.now + TestBounds.notStuck(timeout)
            defer { try? FileManager.default.removeItem(atPath: out) }
            while process.isRunning {
                if ContinuousClock.now > deadline {
                    kill(process.processIdentifier, SIGKILL)
                    throw ToolError(message: "tgcluster did not exit within \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            return process.terminationStatus
        }
    }

    static func start(_ arguments: [String]) throws -> Running {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("tgc-tool-\(UUID().uuidString.prefix(8)).out").path
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = nil
        env["TELEGRAM_API_URL"] = nil
        let process = try SpawnedProcess(executable: try executable.path, arguments: arguments, environment: env, output: out)
        return Running(process: process, out: out)
    }

    /// A GET with curl's command-line tool, as a user would check a server.
    static func httpGet(_ url: String) async throws -> String {
        try await SpawnedProcess.run("/usr/bin/curl", ["-s", "--max-time", "10", url], separateErrors: true).output
    }
}
