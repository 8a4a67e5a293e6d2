import Foundation

/// Peers on other hosts, told apart from local ones by their key in the broker's state.
///
/// Remote workers reach the broker on their own ROUTER socket (`--remote-workers`, CURVE), so
/// an identity is only unique per socket: a remote peer's identity is kept with a prefix byte
/// that no local identity has (local ones are text, `<role>-<pid>-<random>`). The prefix also
/// says where a frame to it goes, without a table to look up.
enum RemotePeer {
    static let prefix: UInt8 = 0x01

    /// The state's key for an identity received on the remote socket.
    static func key(_ identity: Data) -> Data {
        var key = Data(capacity: identity.count + 1)
        key.append(prefix)
        key.append(identity)
        return key
    }

    static func isRemote(_ key: Data) -> Bool { key.first == prefix }

    /// The identity the remote socket routes by.
    static func identity(_ key: Data) -> Data { key.dropFirst() }

    /// The identity as text, for logs and `tgcluster status`.
    static func name(_ key: Data) -> String {
        String(decoding: isRemote(key) ? key.dropFirst() : key[...], as: UTF8.self)
    }
}
