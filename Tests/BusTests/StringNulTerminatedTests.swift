import Testing
@testable import Bus

/// C strings read back from fixed arrays (keys, endpoints, the host name).
@Suite("String(nulTerminated:)")
struct StringNulTerminatedTests {
    @Test func endsAtTheFirstNul_orTakesAllWithoutOne() {
        #expect(String(nulTerminated: [104, 105, 0, 120, 0]) == "hi")
        #expect(String(nulTerminated: [104, 105]) == "hi")  // truncated by the C call: no NUL
        #expect(String(nulTerminated: [0, 104]) == "")
        #expect(String(nulTerminated: [-61, -87, 0]) == "é")  // UTF-8 bytes as signed chars
    }
}
