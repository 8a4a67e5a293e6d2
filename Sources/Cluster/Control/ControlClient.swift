import Bus
import Foundation

/// Talks to a running supervisor's control endpoint (`ipc://<data-dir>/control.sock`):
/// `scale`, `status`, `stop`. JSON in one frame each way.
public struct ControlClient: Sendable {
    public let dataDir: String

    public init(dataDir: String) { self.dataDir = dataDir }

    public struct ControlError: Error, CustomStringConvertible, Sendable {
        public var message: String
        public var description: String { message }
    }

    /// Sends `request` and returns the answer, within `timeout`.
    public func send(_ request: [String: Any], timeout: Duration = .seconds(5)) async throws -> [String: Any] {
        var configuration = ClusterConfiguration()
        configuration.dataDir = dataDir
        let socket = configuration.controlSocket
        let path = String(socket.dropFirst("ipc://".count))
        guard FileManager.default.fileExists(atPath: path) else {
            throw ControlError(message: "no cluster is running with data dir \(configuration.absoluteDataDir) (no \(path))")
        }
        let context = ZMQContext()
        let bus = try BusLoop(context: context, sockets: [.init(kind: .dealer, connect: [socket])])
        defer {
            bus.shutdown()
            context.close()
        }
        bus.send([Data(), try JSONSerialization.data(withJSONObject: request)], on: 0)
        let answer = try await withThrowingTaskGroup(of: Data?.self) { group in
            group.addTask {
                for await m in bus.inbound { return m.frames.last }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let answer, let object = try? JSONSerialization.jsonObject(with: answer) as? [String: Any] else {
            throw ControlError(message: "the supervisor did not answer within \(timeout)")
        }
        return object
    }

    public func scale(workers: Int) async throws {
        let answer = try await send(["command": "scale", "workers": workers])
        guard answer["ok"] as? Bool == true else { throw ControlError(message: answer["error"] as? String ?? "refused") }
    }

    public func status() async throws -> [String: Any] {
        try await send(["command": "status"])
    }
}
