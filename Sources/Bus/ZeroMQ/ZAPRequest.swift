import Foundation

/// One ZAP exchange (ZeroMQ's authentication protocol, RFC 27): what libzmq asks a handler
/// during a handshake, and the answer that admits or refuses the peer. Pure: parsed from and
/// written to frames, no socket, so the rules are tested without one.
public struct ZAPRequest: Sendable, Equatable {
    public var requestID: Data
    public var domain: String
    /// The peer's address as libzmq saw it (`10.0.0.2`).
    public var address: String
    /// "NULL", "PLAIN" or "CURVE".
    public var mechanism: String
    /// For CURVE, the client's public key (Z85); nil for other mechanisms.
    public var clientKey: String?

    public init(requestID: Data, domain: String, address: String, mechanism: String, clientKey: String?) {
        self.requestID = requestID
        self.domain = domain
        self.address = address
        self.mechanism = mechanism
        self.clientKey = clientKey
    }

    /// The answer's status: 200 admits, 400 refuses; `userID` becomes every message's `User-Id`.
    public enum Decision: Sendable, Equatable {
        case allow(userID: String)
        case deny(String)
    }

    /// Parses a request's frames (after the REP socket's envelope); nil if they are not one.
    public static func parse(_ frames: [Data]) -> ZAPRequest? {
        guard frames.count >= 6, frames[0] == Data("1.0".utf8) else { return nil }
        let text = { (i: Int) in String(decoding: frames[i], as: UTF8.self) }
        var request = ZAPRequest(requestID: frames[1], domain: text(2), address: text(3), mechanism: text(5), clientKey: nil)
        if request.mechanism == "CURVE" {
            guard frames.count == 7, frames[6].count == 32 else { return nil }
            request.clientKey = Z85.encode(frames[6])
        }
        return request
    }

    /// The reply's frames for `decision`.
    public func reply(_ decision: Decision) -> [Data] {
        switch decision {
        case .allow(let user):
            return [Data("1.0".utf8), requestID, Data("200".utf8), Data("OK".utf8), Data(user.utf8), Data()]
        case .deny(let reason):
            return [Data("1.0".utf8), requestID, Data("400".utf8), Data(reason.utf8), Data(), Data()]
        }
    }

    /// The reply to frames that are not a request: libzmq then refuses the peer.
    public static func malformedReply(_ frames: [Data]) -> [Data] {
        [Data("1.0".utf8), frames.count > 1 ? frames[1] : Data(), Data("500".utf8), Data("malformed ZAP request".utf8), Data(), Data()]
    }
}
