import Testing
@testable import Bus

@Suite("ZMQError")
struct ZMQErrorTests {
    @Test func description_namesTheCallAndLibzmqsText() {
        let error = ZMQError(code: 11, operation: "zmq_msg_recv")  // EAGAIN
        #expect(error.description == "zmq_msg_recv: Resource temporarily unavailable (11)")
    }
}
