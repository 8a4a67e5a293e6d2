/// The proxy libcurl would take from the environment, read once when the client starts.
///
/// libcurl reads the proxy variables itself when no proxy is set on the handle: five `getenv`
/// calls and copies per request (`no_proxy`, `NO_PROXY`, `http_proxy`, `all_proxy`, `ALL_PROXY`
/// for an `http` URL), about 1,600 instructions of a reply's (issue 13). Setting `CURLOPT_PROXY`
/// and `CURLOPT_NOPROXY` from these values, resolved by libcurl's own rules (7.88, `url.c`:
/// `detect_proxy`), keeps what an operator's environment asks for and skips the lookups. The one
/// difference: a variable changed after the process started is not seen, and no role changes
/// its environment while it runs.
struct CurlProxyEnvironment: Sendable, Equatable {
    /// `no_proxy`, else `NO_PROXY`; "" when neither is set (libcurl then excludes no host).
    let noProxy: String
    private let variables: [String: String]

    init(_ environment: [String: String]) {
        // libcurl's `curl_getenv` treats a variable set to "" as unset.
        variables = environment.filter { !$0.value.isEmpty }
        noProxy = variables["no_proxy"] ?? variables["NO_PROXY"] ?? ""
    }

    /// The proxy for a URL of `scheme` ("http", "https"): `<scheme>_proxy`, its upper-case form
    /// except for `http` (libcurl refuses `HTTP_PROXY`: a CGI program's `Proxy:` request header
    /// arrives as that variable), then `all_proxy`, `ALL_PROXY`. "" means none: set as
    /// `CURLOPT_PROXY`, an empty string turns the environment's lookup off.
    func proxy(forScheme scheme: String) -> String {
        let name = scheme.lowercased() + "_proxy"
        if let value = variables[name] { return value }
        if name != "http_proxy", let value = variables[name.uppercased()] { return value }
        return variables["all_proxy"] ?? variables["ALL_PROXY"] ?? ""
    }

    /// The scheme of `url` as libcurl names its handler: what comes before `://`, lower-cased;
    /// "http" for a URL without one (libcurl guesses it).
    static func scheme(of url: String) -> String {
        guard let colon = url.utf8.firstIndex(of: UInt8(ascii: ":")),
              url.utf8[colon...].starts(with: "://".utf8) else { return "http" }
        return String(url[..<colon]).lowercased()
    }
}
