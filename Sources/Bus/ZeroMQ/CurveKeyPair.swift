internal import CZeroMQ

/// A CURVE key pair (libzmq's built-in encryption and authentication for `tcp://`), as Z85
/// text: 40 characters each.
public struct CurveKeyPair: Sendable, Equatable {
    public var publicKey: String
    public var secretKey: String

    public init(publicKey: String, secretKey: String) {
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    /// Whether this libzmq was built with CURVE (Debian's is).
    public static var isAvailable: Bool { zmq_has("curve") == 1 }

    /// A new random pair from libzmq.
    public static func generate() throws(ZMQError) -> CurveKeyPair {
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError.last("zmq_curve_keypair") }
        return CurveKeyPair(publicKey: String(nulTerminated: pub), secretKey: String(nulTerminated: sec))
    }

    /// The public key that belongs to a Z85 secret key; nil if `secretKey` is not one.
    public static func publicKey(of secretKey: String) -> String? {
        guard isZ85Key(secretKey) else { return nil }
        var pub = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&pub, secretKey) == 0 else { return nil }
        return String(nulTerminated: pub)
    }

    /// 40 characters of Z85's alphabet.
    public static func isZ85Key(_ text: String) -> Bool {
        let alphabet = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#")
        return text.count == 40 && text.allSatisfy { alphabet.contains($0) }
    }
}
