import Foundation

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
        let deadline = ContinuousClock.now + timeout
        // Read while it runs, so a full pipe never blocks the child.
        async let stdout = Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        async let stderr = Task.detached { err.fileHandleForReading.readDataToEndOfFile() }.value
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
}
