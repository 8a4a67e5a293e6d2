import Bus
import Foundation

/// Talks to a running supervisor's control endpoint (`ipc://<data-dir>/control.sock`):
/// `scale`, `status`, `stop`. JSON in one frame each way.
package struct ControlClient: Sendable {
    package let dataDir: String

    package init(dataDir: String) { self.dataDir = dataDir }

    package struct ControlError: Error, CustomStringConvertible, Sendable {
        package var message: String
        package var description: String { message }
    }

    /// Sends `request` and returns the answer, within `timeout`.
    package func send(_ request: ControlRequest, timeout: Duration = .seconds(5)) async throws -> ControlAnswer {
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
        bus.send([Data(), try JSONEncoder().encode(request)], on: 0)
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
        guard let answer else { throw ControlError(message: "the supervisor did not answer within \(timeout)") }
        do {
            return try JSONDecoder().decode(ControlAnswer.self, from: answer)
        } catch {
            throw ControlError(message: "the supervisor's answer does not parse: \(error)")
        }
    }

    package func scale(workers: Int) async throws {
        let answer = try await send(ControlRequest(command: .scale, workers: workers))
        guard answer.ok else { throw ControlError(message: answer.error ?? "refused") }
    }

    package func status() async throws -> ControlAnswer {
        try await send(ControlRequest(command: .status))
    }
}
