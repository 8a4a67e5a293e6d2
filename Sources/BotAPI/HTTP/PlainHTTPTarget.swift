import Foundation

/// Where plain-HTTP requests go: a server's origin (`http://host:port`) split once into its
/// socket address and the `Host:` line every request to it carries. `BotClient` makes one for
/// its API URL when it starts; a request's own path is then read from its URL, past the origin,
/// with no table to look up (and no lock to take) per request.
///
/// Only `http://` URLs whose host is an IP address (`127.0.0.1`, `[::1]`) qualify: a name would
/// need a resolver, and a blocking `getaddrinfo` on the loop thread would stall every other
/// transfer; libcurl resolves names asynchronously and keeps serving them. A URL with user
/// information does not qualify either.
struct PlainHTTPTarget: Sendable {
    /// The server, as a key for the pool of idle connections.
    struct Endpoint: Hashable, Sendable {
        /// `sockaddr_in` or `sockaddr_in6`, as bytes.
        let address: [UInt8]
        var family: Int32 { address.count == MemoryLayout<sockaddr_in6>.size ? AF_INET6 : AF_INET }
    }

    let endpoint: Endpoint
    /// `http://<authority>` as the URL spells it: what a request's URL starts with.
    let origin: String
    private let originBytes: [UInt8]
    /// ` HTTP/1.1\r\nHost: <authority>\r\n`: what follows the path.
    private let versionAndHost: [UInt8]

    /// The origin of `url` (what follows it is ignored); nil when `url` is not one this client
    /// sends (see the type's comment).
    init?(url: String) {
        var rest = Substring(url)
        guard rest.count > 7, rest.prefix(7).lowercased() == "http://" else { return nil }
        rest = rest.dropFirst(7)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
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
        origin = String(url[..<slash])
        originBytes = Array(origin.utf8)
        versionAndHost = Array(" HTTP/1.1\r\nHost: \(authority)\r\n".utf8)
    }

    /// Whether `url` is at this origin: it starts with it, then a path or nothing. One
    /// `memcmp` (the generic `starts(with:)` cost ~1,400 instructions per request).
    func holds(_ url: String) -> Bool {
        var url = url
        return url.withUTF8 { u in
            originBytes.withUnsafeBytes { o in
                u.count >= o.count && memcmp(u.baseAddress!, o.baseAddress!, o.count) == 0
                    && (u.count == o.count || u[o.count] == UInt8(ascii: "/"))
            }
        }
    }

    /// The request's bytes (head and body, one buffer, one `send`) for `url` at this origin;
    /// nil for a path that cannot go on a request line as it is (a space, a control byte, a
    /// fragment: libcurl refuses such a URL too). Measured first, then written through one
    /// pointer: appended piece by piece the generic appends were ~3,000 instructions per
    /// request, and a `String` of the header lines, grown per request, ~2,600 (`scripts/bench
    /// instructions`).
    func request(url: String, method: StaticString, headers: [(String, String)], contentType: String?, body: Data?) -> [UInt8]? {
        var url = url
        return url.withUTF8 { u -> [UInt8]? in
            let path = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(u)[min(originBytes.count, u.count)...])
            guard !path.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "#") }) else { return nil }
            let methodBytes = UnsafeRawBufferPointer(start: method.utf8Start, count: method.utf8CodeUnitCount)
            var length = (digits: (UInt64(0), UInt64(0), UInt64(0)), count: 0)  // Content-Length, written backwards
            var headLength = 2  // the blank line
            for (name, value) in headers { headLength += name.utf8.count + value.utf8.count + 4 }
            if let body {
                length.count = withUnsafeMutableBytes(of: &length.digits) { Self.decimal(body.count, into: $0) }
                headLength += Self.contentLength.count + length.count + 2
                if let contentType { headLength += Self.contentType.count + contentType.utf8.count + 2 }
            }
            let total = methodBytes.count + 1 + max(path.count, 1) + versionAndHost.count + headLength + (body?.count ?? 0)
            return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
                var at = buffer.baseAddress!
                func put(_ bytes: UnsafeRawBufferPointer) {
                    guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
                    UnsafeMutableRawPointer(at).copyMemory(from: base, byteCount: bytes.count)
                    at += bytes.count
                }
                func put(_ string: String) {
                    var string = string
                    string.withUTF8 { put(UnsafeRawBufferPointer($0)) }
                }
                func put(_ bytes: [UInt8]) { bytes.withUnsafeBytes { put($0) } }
                func put(byte: UInt8) {
                    at.pointee = byte
                    at += 1
                }
                put(methodBytes)
                put(byte: UInt8(ascii: " "))
                if path.isEmpty { put(byte: UInt8(ascii: "/")) } else { put(path) }
                put(versionAndHost)
                for (name, value) in headers {
                    put(name)
                    put(Self.colon)
                    put(value)
                    put(Self.lineEnd)
                }
                if body != nil {
                    if let contentType {
                        put(Self.contentType)
                        put(contentType)
                        put(Self.lineEnd)
                    }
                    put(Self.contentLength)
                    withUnsafeBytes(of: length.digits) { put(UnsafeRawBufferPointer(rebasing: $0[(24 - length.count)...])) }
                    put(Self.lineEnd)
                }
                put(Self.lineEnd)
                body?.withUnsafeBytes { put($0) }
                count = total
            }
        }
    }

    private static let colon = Array(": ".utf8)
    private static let lineEnd = Array("\r\n".utf8)
    private static let contentType = Array("Content-Type: ".utf8)
    private static let contentLength = Array("Content-Length: ".utf8)

    /// Writes `value` (not negative) in decimal at the end of `buffer`; returns how many digits.
    private static func decimal(_ value: Int, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        var value = value
        var at = buffer.count
        repeat {
            at -= 1
            buffer[at] = UInt8(ascii: "0") + UInt8(value % 10)
            value /= 10
        } while value > 0 && at > 0
        return buffer.count - at
    }

    /// The socket address of `host` if it is an IP address: `getaddrinfo` told to take numbers
    /// only (`AI_NUMERICHOST`), which never asks a resolver, for both families (and an IPv6
    /// scope such as `%eth0`).
    private static func endpoint(host: String, port: UInt16) -> Endpoint? {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found, let address = first.pointee.ai_addr else {
            return nil
        }
        defer { freeaddrinfo(found) }
        return Endpoint(address: Array(UnsafeRawBufferPointer(start: address, count: Int(first.pointee.ai_addrlen))))
    }
}
