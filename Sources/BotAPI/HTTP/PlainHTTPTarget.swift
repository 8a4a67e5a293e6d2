import Foundation

/// Where a plain-HTTP request goes: the URL split once into the server's socket address and the
/// request's first lines, which every request to it starts with.
///
/// Only `http://` URLs whose host is an IP address (`127.0.0.1`, `[::1]`) qualify: a name would
/// need a resolver, and a blocking `getaddrinfo` on the loop thread would stall every other
/// transfer; libcurl resolves names asynchronously and keeps serving them. A URL with user
/// information, a fragment or no path does not qualify either.
struct PlainHTTPTarget: Sendable {
    /// The server, as a key for the pool of idle connections.
    struct Endpoint: Hashable, Sendable {
        /// `sockaddr_in` or `sockaddr_in6`, as bytes.
        let address: [UInt8]
        var family: Int32 { address.count == MemoryLayout<sockaddr_in6>.size ? AF_INET6 : AF_INET }
    }

    let endpoint: Endpoint
    /// `<path> HTTP/1.1\r\nHost: <authority>\r\n`: what follows the method.
    let requestLine: [UInt8]

    /// nil when `url` is not one this client sends (see the type's comment).
    init?(url: String) {
        var rest = Substring(url)
        guard rest.count > 7, rest.prefix(7).lowercased() == "http://" else { return nil }
        rest = rest.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        let path = rest[slash...]
        guard !authority.isEmpty, !authority.contains("@"), !path.contains("#"), !path.contains(" "),
              !path.contains("\r"), !path.contains("\n") else { return nil }
        var host = authority
        var port: UInt16 = 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = UInt16(after.dropFirst()) else { return nil }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let p = UInt16(authority[authority.index(after: colon)...]) else { return nil }
            port = p
        }
        guard port != 0, let endpoint = Self.endpoint(host: String(host), port: port) else { return nil }
        self.endpoint = endpoint
        requestLine = Array("\(path.isEmpty ? "/" : path) HTTP/1.1\r\nHost: \(authority)\r\n".utf8)
    }

    /// The request's bytes: head and body, one buffer, one `send`.
    func request(method: StaticString, headers: [(String, String)], contentType: String?, body: Data?) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(method.utf8CodeUnitCount + 1 + requestLine.count + 64 + (body?.count ?? 0))
        bytes.append(contentsOf: UnsafeBufferPointer(start: method.utf8Start, count: method.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: requestLine)
        for (name, value) in headers {
            bytes.append(contentsOf: name.utf8)
            bytes.append(contentsOf: ": ".utf8)
            bytes.append(contentsOf: value.utf8)
            bytes.append(contentsOf: "\r\n".utf8)
        }
        if let body {
            if let contentType {
                bytes.append(contentsOf: "Content-Type: ".utf8)
                bytes.append(contentsOf: contentType.utf8)
                bytes.append(contentsOf: "\r\n".utf8)
            }
            bytes.append(contentsOf: "Content-Length: ".utf8)
            bytes.append(contentsOf: String(body.count).utf8)
            bytes.append(contentsOf: "\r\n\r\n".utf8)
            bytes.append(contentsOf: body)
        } else {
            bytes.append(contentsOf: "\r\n".utf8)
        }
        return bytes
    }

    private static func endpoint(host: String, port: UInt16) -> Endpoint? {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = v4
            return Endpoint(address: withUnsafeBytes(of: address) { Array($0) })
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = v6
            return Endpoint(address: withUnsafeBytes(of: address) { Array($0) })
        }
        return nil
    }
}
