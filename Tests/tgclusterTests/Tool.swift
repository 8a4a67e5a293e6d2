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
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["TELEGRAM_BOT_TOKEN"] = nil
        env["TELEGRAM_API_URL"] = nil
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let deadline = ContinuousClock.now + TestBounds.notStuck(timeout)
        // Read while it runs, so a full pipe never blocks the child.
        async let stdout = offThePool { out.fileHandleForReading.readDataToEndOfFile() }
        async let stderr = offThePool { err.fileHandleForReading.readDataToEndOfFile() }
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw ToolError(message: "tgcluster \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: await stdout, as: UTF8.self),
                      stderr: String(decoding: await stderr, as: UTF8.self))
    }

    /// A started `tgcluster` whose stdout is read line by line.
    final class Running: @unchecked Sendable {
        let process: Process
        private let out: Pipe

        init(process: Process, out: Pipe) {
            self.process = process
            self.out = out
        }

        /// The first line of stdout; the process is killed if none comes within 30 s.
        func firstLine() async throws -> String {
            let handle = out.fileHandleForReading
            let pid = process.processIdentifier
            let watchdog = Task.detached {
                try await Task.sleep(for: .seconds(30))
                kill(pid, SIGKILL)
            }
            defer { watchdog.cancel() }
            let line = await offThePool { () -> String in
                var bytes = Data()
                while true {
                    let chunk = handle.readData(ofLength: 1)
                    if chunk.isEmpty || chunk == Data([10]) { break }
                    bytes.append(chunk)
                }
                return String(decoding: bytes, as: UTF8.self)
            }
            guard !line.isEmpty else { throw ToolError(message: "tgcluster printed no first line") }
            return line
        }

        /// Waits for the exit status; kills the process after `timeout`.
        func wait(timeout: Duration) async throws -> Int32 {
            let deadline = ContinuousClock.now + TestBounds.notStuck(timeout)
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
        let process = Process()
        process.executableURL = try executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        return Running(process: process, out: out)
    }

    /// A GET with curl's command-line tool, as a user would check a server.
    static func httpGet(_ url: String) async throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "10", url]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = await offThePool { out.fileHandleForReading.readDataToEndOfFile() }
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return String(decoding: data, as: UTF8.self)
    }
}
