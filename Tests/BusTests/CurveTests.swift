import Foundation
import Locking
import Synchronization
import Testing
@testable import Bus

/// CURVE between a ROUTER server and DEALER clients over loopback TCP, with a ZAP handler that
/// admits one key: who gets through, who is refused, and what each message says about its sender.
@Suite("CURVE")
struct CurveTests {
    static let domain = "tgcluster"

    /// A CURVE server on 127.0.0.1 (port chosen by the system) whose handler admits `allowed`.
    final class Server: Sendable {
        let context = ZMQContext()
        let zap: ZAPHandler?
        let loop: BusLoop
        let pair: CurveKeyPair
        let asked: Asked
        var endpoint: String { loop.boundEndpoints[0]! }

        init(allowed: Set<String>, handler: Bool = true, enforce: Bool = true) throws {
            let pair = try CurveKeyPair.generate()
            self.pair = pair
            let asked = Asked()
            self.asked = asked
            zap = handler ? try ZAPHandler(context: context) { request in
                asked.locked { $0.append(request) }
                guard request.mechanism == "CURVE", let key = request.clientKey, allowed.contains(key) else { return .deny("not allowed") }
                return .allow(userID: key)
            } : nil
            let context = self.context
            loop = try Self.closing(context) { try BusLoop(context: context, sockets: [
                .init(kind: .router, bind: ["tcp://127.0.0.1:*"],
                      security: .curveServer(secretKey: pair.secretKey, domain: enforce ? Self.domainName : ""),
                      deadPeerInterval: .milliseconds(200)),
            ]) }
        }

        /// Closes the context when `body` throws (an open context must be closed before it goes).
        static func closing<T>(_ context: ZMQContext, _ body: () throws -> T) throws -> T {
            do { return try body() } catch {
                context.close()
                throw error
            }
        }

        static var domainName: String { CurveTests.domain }

        final class Asked: Sendable {
            let requests = Mutex<[ZAPRequest]>([])
            func locked<T>(_ body: (inout [ZAPRequest]) -> T) -> T { requests.locked { body(&$0) } }
        }

        func close() {
            loop.shutdown()
            zap?.shutdown()
            context.close()
        }
    }

    /// Connects a client with `security`, sends one message, and says whether the server got it
    /// (and with which User-Id) within `wait`.
    static func attempt(_ server: Server, security: ZMQSecurity, wait: Duration = .milliseconds(1500)) async throws -> BusLoop.Message? {
        let context = ZMQContext()
        let client = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: "w-\(UInt32.random(in: 0...UInt32.max))",
                                                                  connect: [server.endpoint], security: security)])
        defer {
            client.shutdown()
            context.close()
        }
        client.send([Data("hello".utf8)], on: 0)
        return try? await BusLoopTests.next(server.loop, timeout: wait)
    }

    @Test func anAdmittedKeyGetsThrough_andEachMessageCarriesItAsUserID() async throws {
        let worker = try CurveKeyPair.generate()
        let server = try Server(allowed: [worker.publicKey])
        defer { server.close() }
        let got = try #require(try await Self.attempt(server, security: .curveClient(publicKey: worker.publicKey, secretKey: worker.secretKey,
                                                                                       serverKey: server.pair.publicKey), wait: .seconds(5)))
        #expect(got.frames.last == Data("hello".utf8))
        #expect(got.userID == worker.publicKey)
        let asked = server.asked.locked { $0 }
        #expect(asked.first?.domain == Self.domain)
        #expect(asked.first?.address == "127.0.0.1")
    }

    @Test func anUnknownKey_aWrongServerKey_andPlaintext_areRefused() async throws {
        let known = try CurveKeyPair.generate(), stranger = try CurveKeyPair.generate(), impostor = try CurveKeyPair.generate()
        let server = try Server(allowed: [known.publicKey])
        defer { server.close() }
        let unknown = try await Self.attempt(server, security: .curveClient(publicKey: stranger.publicKey, secretKey: stranger.secretKey,
                                                                             serverKey: server.pair.publicKey))
        #expect(unknown == nil)
        #expect(server.asked.locked { $0.contains { $0.clientKey == stranger.publicKey } }, "the handler saw the stranger's key")
        // The right client key, but it expects another server: the handshake fails before ZAP.
        let wrongServer = try await Self.attempt(server, security: .curveClient(publicKey: known.publicKey, secretKey: known.secretKey,
                                                                                 serverKey: impostor.publicKey))
        #expect(wrongServer == nil)
        let plaintext = try await Self.attempt(server, security: .none)
        #expect(plaintext == nil)
        #expect(!server.asked.locked { $0.contains { $0.clientKey == known.publicKey } })
    }

    /// Why the domain is set and enforced: without a handler, a CURVE server with an enforced
    /// domain refuses everyone, and one without a domain admits any key (libzmq's default).
    @Test func withoutAHandler_anEnforcedDomainRefuses_whileNoDomainAdmitsAnyone() async throws {
        let stranger = try CurveKeyPair.generate()
        let enforced = try Server(allowed: [], handler: false, enforce: true)
        defer { enforced.close() }
        #expect(try await Self.attempt(enforced, security: .curveClient(publicKey: stranger.publicKey, secretKey: stranger.secretKey,
                                                                         serverKey: enforced.pair.publicKey)) == nil)
        let open = try Server(allowed: [], handler: false, enforce: false)
        defer { open.close() }
        let admitted = try await Self.attempt(open, security: .curveClient(publicKey: stranger.publicKey, secretKey: stranger.secretKey,
                                                                            serverKey: open.pair.publicKey), wait: .seconds(5))
        #expect(admitted != nil, "libzmq admits a CURVE client when no ZAP domain is set and no handler answers")
    }

    @Test func zapRequests_parseAndAnswer() throws {
        let key = Data((0..<32).map { UInt8($0) })
        let frames = ["1.0", "7", "tgcluster", "10.0.0.2", "w-1", "CURVE"].map { Data($0.utf8) } + [key]
        let request = try #require(ZAPRequest.parse(frames))
        #expect(request.clientKey == Z85.encode(key))
        #expect(request.clientKey?.count == 40)
        #expect(request.reply(.allow(userID: "K")).map { String(decoding: $0, as: UTF8.self) } == ["1.0", "7", "200", "OK", "K", ""])
        #expect(request.reply(.deny("no"))[2] == Data("400".utf8))
        #expect(ZAPRequest.parse(Array(frames.dropLast())) == nil, "CURVE without a 32-byte key")
        #expect(ZAPRequest.parse([Data("2.0".utf8)] + frames.dropFirst()) == nil)
        #expect(ZAPRequest.parse(["1.0", "1", "d", "a", "i", "NULL"].map { Data($0.utf8) })?.clientKey == nil)
    }
}
