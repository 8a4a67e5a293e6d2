import Foundation
import Testing

/// The ports the process tests hand to the processes they start (`freePort`).
@Suite("Free ports")
struct FreePortTests {
    /// Each comes from below the kernel's ephemeral range, where no `bind` to port 0 and no
    /// outgoing connection of a test running alongside draws its port, and can be bound; a
    /// port of the kernel's own pick (the old way) lies inside the range and fails the first
    /// expectation.
    @Test func portsForProcesses_lieBelowTheEphemeralRange_andAreFree() {
        let low = ephemeralPortsStart()
        let ports = (0..<20).map { _ in freePort() }
        #expect(ports.allSatisfy { $0 < low }, "\(ports.filter { $0 >= low }) inside the ephemeral range from \(low)")
        #expect(ports.allSatisfy { portIsFree($0) })
        #expect(Set(ports).count > 15, "picked at random, not one port again and again")
    }

    /// A port a socket holds is not free.
    @Test func aBoundPort_isNotFree() throws {
        let (fd, port) = try boundSocket()
        defer { close(fd) }
        #expect(!portIsFree(port))
    }
}
