import Foundation
import Synchronization

/// A raw TCP server on loopback that answers each request with scripted bytes, written in the
/// pieces given (with a pause between, so they arrive as separate reads), and closes the
/// connection when told: framings and failures a full HTTP server would not produce on demand.
/// One thread, one connection at a time; every wait is bounded.
final class ScriptedHTTPServer: Sendable {
    struct Answer: Sendable {
        var pieces: [String]
        /// Close the connection after writing the pieces.
        var close = false
        /// Written only once this is signalled (20 s at most): an answer held until the test
        /// says so, not for a time that a loaded machine may outlast.
        var gate: DispatchSemaphore?
    }

    let port: UInt16
    private let listener: Int32
    private let state = Mutex((requests: [String](), connections: 0))
    private let done = DispatchSemaphore(value: 0)

    var requests: [String] { state.withLock { $0.requests } }
    var connections: Int { state.withLock { $0.connections } }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `answers[i]` answers the i-th request; requests past the script are not answered.
    init(_ answers: [Answer]) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard fd >= 0, bound, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in
            serve(answers)
            done.signal()
        }
        thread.start()
    }

    /// Stops accepting and waits (bounded) for the serving thread.
    func shutdown() {
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        _ = done.wait(timeout: .now() + 10)
        close(listener)
    }

    private func serve(_ answers: [Answer]) {
        var next = 0
        while next < answers.count {
            guard Self.readable(listener, milliseconds: 10_000) else { return }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            state.withLock { $0.connections += 1 }
            defer { close(connection) }
            while next < answers.count {
                guard let request = Self.readRequest(connection) else { break }
                state.withLock { $0.requests.append(request) }
                let answer = answers[next]
                next += 1
                if let gate = answer.gate { _ = gate.wait(timeout: .now() + 20) }
                for (i, piece) in answer.pieces.enumerated() {
                    if i > 0 { usleep(20_000) }
                    _ = piece.utf8CString.withUnsafeBufferPointer { send(connection, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
                }
                if answer.close { break }
            }
        }
    }

    /// The request's head and body (by its Content-Length), as text; nil if the client closed.
    private static func readRequest(_ fd: Int32) -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: bytes[..<end.lowerBound], as: UTF8.self)
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if bytes.count >= end.upperBound + length { return String(decoding: bytes, as: UTF8.self) }
            }
            guard readable(fd, milliseconds: 10_000) else { return nil }
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { return nil }
            bytes += buffer[..<n]
        }
    }

    private static func readable(_ fd: Int32, milliseconds: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, milliseconds) == 1 && p.revents & Int16(POLLIN) != 0
    }
}
