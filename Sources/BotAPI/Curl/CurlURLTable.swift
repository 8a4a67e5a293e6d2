internal import CCurl

/// Request URLs parsed once into libcurl's URL handles, with the proxy each one goes through.
///
/// Given only `CURLOPT_URL`, libcurl parses the URL on every request and prints it back into a
/// string (`curl_url_set`, then `curl_url_get(CURLUPART_URL)`: its printf, a character at a
/// time), ~21,000 of the ~27,000 instructions `Curl_connect` took per reply (issue 13, callgrind
/// on a libcurl built with symbols; docs/BENCHMARKS.md, "libcurl formats each request's head"). Given
/// `CURLOPT_CURLU` as well, it copies the parsed handle instead (a request sent
/// again on a new connection, after the server closed a kept-alive one, takes the handle too).
/// The URL string is still set on every request, a copy: libcurl keeps it as the transfer's
/// effective URL, the base of a redirect and the URL of its messages, which must be this
/// request's, not that of the handle's first request.
///
/// Only URLs a request marks as recurring (`HTTPRequest.recurringURL`: the client's method URLs,
/// a few dozen) are kept; a file's download URL is parsed by libcurl as before. Past `limit`
/// URLs, a request goes without a parsed handle too. Handles are never evicted: a transfer in
/// flight may point at one. Used on the loop thread only.
struct CurlURLTable {
    /// What a request to one URL sets on its easy handle.
    struct Target {
        /// nil: libcurl parses the URL string itself (past the limit, or a URL it refused here).
        let parsed: OpaquePointer?
        /// `CURLOPT_PROXY`: "" for none.
        let proxy: String
    }

    static let limit = 256
    let proxies: CurlProxyEnvironment
    private var targets: [String: Target] = [:]
    /// The URL asked for last and its target, compared before the table is: a bot's replies go
    /// to the same method URL one after another, and comparing two strings costs a fraction of
    /// hashing one (the table's SipHash over a ~60-byte URL: ~700 instructions per reply).
    private var last: (url: String, target: Target)?

    init(proxies: CurlProxyEnvironment) { self.proxies = proxies }

    var count: Int { targets.count }

    mutating func target(for url: String, recurring: Bool) -> Target {
        if let last, last.url == url { return last.target }
        if let known = targets[url] {
            last = (url, known)
            return known
        }
        let proxy = proxies.proxy(forScheme: CurlProxyEnvironment.scheme(of: url))
        guard recurring, targets.count < Self.limit else { return Target(parsed: nil, proxy: proxy) }
        let target = Target(parsed: Self.parse(url), proxy: proxy)
        targets[url] = target
        last = (url, target)
        return target
    }

    /// The URL parsed with the flags libcurl itself parses `CURLOPT_URL` with (`url.c`,
    /// `parseurlandfillconn`); nil when it refuses it, so that the request fails with libcurl's
    /// own error for the string.
    private static func parse(_ url: String) -> OpaquePointer? {
        guard let handle = curl_url() else { return nil }
        let flags = UInt32(CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME)
        guard curl_url_set(handle, CURLUPART_URL, url, flags) == CURLUE_OK else {
            curl_url_cleanup(handle)
            return nil
        }
        return handle
    }

    /// After the last transfer: frees every parsed handle.
    mutating func free() {
        for case let parsed? in targets.values.map(\.parsed) { curl_url_cleanup(parsed) }
        targets.removeAll()
        last = nil
    }
}
