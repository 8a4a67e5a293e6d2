import Foundation
import Testing

/// `tgcluster sim` as a process: the first line, a clean stop, a taken port.
@Suite("tgcluster sim")
struct SimCommandTests {
    @Test func printsItsPort_servesAndStopsOnSIGTERM() async throws {
        let sim = try Tool.start(["sim", "--port", "0", "--flood", "off"])
        let line = try await sim.firstLine()
        #expect(line.hasPrefix("listening on 127.0.0.1:"))
        let port = try #require(Int(line.split(separator: ":").last ?? ""))
        let me = try await Tool.httpGet("http://127.0.0.1:\(port)/bot42:abc/getMe")
        #expect(me.contains(#""id":42"#))
        kill(sim.process.processIdentifier, SIGTERM)
        let status = try await sim.wait(timeout: .seconds(10))
        #expect(status == 0)
    }

    @Test func takenPort_isAClearError() async throws {
        let first = try Tool.start(["sim", "--port", "0"])
        let line = try await first.firstLine()
        let port = String(line.split(separator: ":").last ?? "")
        let second = try await Tool.run(["sim", "--port", port], environment: [:], timeout: .seconds(20))
        #expect(second.status == 1)
        #expect(second.stderr.contains("error: cannot listen on 127.0.0.1:\(port): address already in use"), "\(second.stderr)")
        kill(first.process.processIdentifier, SIGINT)
        #expect(try await first.wait(timeout: .seconds(10)) == 0)
    }

    @Test func badFlags_areUsageErrors() async throws {
        let r = try await Tool.run(["sim", "--latency", "soon"], environment: [:])
        #expect(r.status != 0)
        #expect(r.stderr.contains("not a duration"))
    }
}
