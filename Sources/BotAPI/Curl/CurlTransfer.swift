internal import CCurl
internal import CCurlShims
import Foundation

/// One transfer on `CurlMultiLoop`'s thread: the easy handle's options, the C resources the
/// request needs while it runs (header list, MIME body, error buffer) and the response as it
/// arrives.
///
/// Used only on the loop thread. libcurl's callbacks reach it through an unretained pointer:
/// the loop's table holds the strong reference for as long as the handle is in the multi.
final class CurlTransfer {
    let handle: CurlEasyHandle
    var easy: UnsafeMutableRawPointer { handle.easy }
    let request: HTTPRequest
    let continuation: CheckedContinuation<HTTPResponse, any Error>

    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// False when `headerList` is one of the loop's shared lists (not freed with the transfer).
    private var ownsHeaderList = false
    private var mime: OpaquePointer?
    /// The easy handle's own (`CurlEasyHandle`): kept with the handle, not allocated per call.
    private var errorBuffer: UnsafeMutablePointer<CChar> { handle.errorBuffer }
    private var body = Data()
    private var retryAfter: Int?
    private var contentType: String?

    init(handle: CurlEasyHandle, request: HTTPRequest, continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.handle = handle
        self.request = request
        self.continuation = continuation
        handle.errorBuffer[0] = 0
    }

    /// `target`: the request URL's parsed handle and proxy (`CurlURLTable`); `noProxy`: the hosts
    /// no proxy is used for. `sharedHeaders`: the loop's list for a request with no headers of its
    /// own and this body's content type (nil: built for this transfer and freed with it).
    func configure(target: CurlURLTable.Target, noProxy: String,
                   sharedHeaders: (String?) -> UnsafeMutablePointer<curl_slist>?) throws {
        let this = Unmanaged.passUnretained(self).toOpaque()
        // The string as well as the parsed handle (see `CurlURLTable`); a nil handle clears the
        // last call's, so that libcurl parses the string.
        try set(CURLOPT_URL, string: request.url)
        try check(CCurlShims_easy_setopt_pointer(easy, CURLOPT_CURLU, target.parsed.map { UnsafeMutableRawPointer($0) }),
                  "CURLOPT_CURLU")
        try set(CURLOPT_PROXY, string: target.proxy)
        try set(CURLOPT_NOPROXY, string: noProxy)
        try set(CURLOPT_NOSIGNAL, 1)
        try set(CURLOPT_TCP_KEEPALIVE, 1)
        // Both ways: a reused handle keeps the options of its last call (no `curl_easy_reset`).
        try set(CURLOPT_FRESH_CONNECT, request.freshConnection ? 1 : 0)
        try set(CURLOPT_FORBID_REUSE, request.freshConnection ? 1 : 0)
        try set(CURLOPT_CONNECTTIMEOUT_MS, Int(request.connectTimeout.milliseconds))
        try set(CURLOPT_TIMEOUT_MS, Int(request.totalTimeout.milliseconds))
        try check(CCurlShims_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "CURLOPT_ERRORBUFFER")
        try check(CCurlShims_easy_setopt_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteBody), "CURLOPT_WRITEFUNCTION")
        try check(CCurlShims_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, this), "CURLOPT_WRITEDATA")
        try check(CCurlShims_easy_setopt_callback(easy, CURLOPT_HEADERFUNCTION, curlWriteHeader), "CURLOPT_HEADERFUNCTION")
        try check(CCurlShims_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, this), "CURLOPT_HEADERDATA")

        var type: String?
        switch request.body {
        case .none:
            try set(CURLOPT_HTTPGET, 1)
        case .bytes(let data, let contentType):
            type = contentType
            try check(CCurlShims_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(data.count)), "CURLOPT_POSTFIELDSIZE_LARGE")
            // COPYPOSTFIELDS copies: `data` need not outlive this call.
            try data.withUnsafeBytes { raw in
                let base = raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                try check(CCurlShims_easy_setopt_pointer(easy, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base)), "CURLOPT_COPYPOSTFIELDS")
            }
        case .multipart(let fields):
            guard let mime = curl_mime_init(easy) else {
                throw CurlError(code: 27, operation: "curl_mime_init", message: "out of memory")
            }
            self.mime = mime
            for field in fields {
                let part = curl_mime_addpart(mime)
                curl_mime_name(part, field.name)
                field.data.withUnsafeBytes { raw in
                    // curl_mime_data copies the bytes.
                    _ = curl_mime_data(part, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
                }
                if let filename = field.filename { curl_mime_filename(part, filename) }
                if let type = field.contentType { curl_mime_type(part, type) }
            }
            try check(CCurlShims_easy_setopt_pointer(easy, CURLOPT_MIMEPOST, UnsafeMutableRawPointer(mime)), "CURLOPT_MIMEPOST")
        }
        if request.headers.isEmpty, mime == nil, let shared = sharedHeaders(type) {
            headerList = shared
        } else {
            headerList = Self.makeHeaderList(request.headers + Self.standardHeaders(contentType: type))
            ownsHeaderList = true
        }
        try check(CCurlShims_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, headerList.map { UnsafeMutableRawPointer($0) }), "CURLOPT_HTTPHEADER")
    }

    /// What every request sends after its own headers. An empty Expect: header skips the
    /// 100-continue round trip libcurl adds to larger POSTs; an empty Accept: drops libcurl's
    /// `Accept: */*`, which says nothing (the Bot API answers JSON) and which libcurl formats
    /// a character at a time on every request.
    static func standardHeaders(contentType: String?) -> [(String, String)] {
        [("Expect", ""), ("Accept", "")] + (contentType.map { [("Content-Type", $0)] } ?? [])
    }

    /// A libcurl header list (`Name: value` lines); the caller frees it with `curl_slist_free_all`.
    static func makeHeaderList(_ headers: [(String, String)]) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>?
        for (name, value) in headers {
            list = curl_slist_append(list, "\(name): \(value)")
        }
        return list
    }

    /// Frees what only the running transfer needed; the easy handle goes back to the pool.
    func releaseRequestResources() {
        if let headerList, ownsHeaderList { curl_slist_free_all(headerList) }
        headerList = nil
        ownsHeaderList = false
        if let mime { curl_mime_free(mime) }
        mime = nil
    }

    func response() -> HTTPResponse {
        var status = 0
        CCurlShims_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, body: body, retryAfter: retryAfter, contentType: contentType, metrics: metrics())
    }

    func error(code: CURLcode) -> CurlError {
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        return CurlError(code: Int32(code.rawValue), operation: "HTTP request", message: message)
    }

    private func metrics() -> TransferMetrics {
        func time(_ info: CURLINFO) -> Duration {
            var micros: curl_off_t = 0
            CCurlShims_easy_getinfo_off_t(easy, info, &micros)
            return .microseconds(micros)
        }
        var connects = 0
        CCurlShims_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        return TransferMetrics(
            nameLookup: time(CURLINFO_NAMELOOKUP_TIME_T),
            connect: time(CURLINFO_CONNECT_TIME_T),
            appConnect: time(CURLINFO_APPCONNECT_TIME_T),
            preTransfer: time(CURLINFO_PRETRANSFER_TIME_T),
            startTransfer: time(CURLINFO_STARTTRANSFER_TIME_T),
            total: time(CURLINFO_TOTAL_TIME_T),
            newConnections: connects)
    }

    fileprivate func appendBody(_ pointer: UnsafeRawBufferPointer) {
        body.append(contentsOf: pointer)
    }

    /// Keeps the two headers the client uses; the rest are skipped without building strings.
    fileprivate func appendHeader(_ line: UnsafeRawBufferPointer) {
        if Self.hasPrefix(line, "http/") {
            // A new response (after 100 Continue or a redirect): forget the previous headers.
            retryAfter = nil
            contentType = nil
        } else if Self.hasPrefix(line, "retry-after:") {
            retryAfter = Int(Self.value(line, after: 12))
        } else if Self.hasPrefix(line, "content-type:") {
            contentType = Self.value(line, after: 13)
        }
    }

    private static func hasPrefix(_ line: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        let n = lowercased.utf8CodeUnitCount
        guard line.count >= n else { return false }
        let p = lowercased.utf8Start
        for i in 0..<n where line[i] | 0x20 != p[i] | 0x20 { return false }
        return true
    }

    private static func value(_ line: UnsafeRawBufferPointer, after n: Int) -> String {
        var start = n, end = line.count
        while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        while end > start, [0x20, 0x09, 0x0D, 0x0A].contains(line[end - 1]) { end -= 1 }
        return HTTPResponse.headerValue(UnsafeRawBufferPointer(rebasing: line[start..<end]))
    }

    private func set(_ option: CURLoption, _ value: Int) throws {
        try check(CCurlShims_easy_setopt_long(easy, option, value), "option \(option.rawValue)")
    }

    /// libcurl copies the string. `withCString`, not the implicit conversion: that one made an
    /// array copy of the URL per call (counted).
    private func set(_ option: CURLoption, string: String) throws {
        let code = string.withCString { CCurlShims_easy_setopt_string(easy, option, $0) }
        try check(code, "option \(option.rawValue)")
    }

    /// `what` is built only on failure: describing a C enum goes through reflection, which
    /// cost more than the rest of a request when it ran for every option.
    private func check(_ code: CURLcode, _ what: @autoclosure () -> String) throws {
        guard code == CURLE_OK else {
            throw CurlError(code: Int32(code.rawValue), operation: "curl_easy_setopt(\(what()))",
                            message: String(cString: curl_easy_strerror(code)))
        }
    }
}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let data, let user else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    transfer.appendBody(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let data, let user else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    transfer.appendHeader(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

extension Duration {
    /// Whole milliseconds, rounded down; what libcurl's `_MS` options take.
    var milliseconds: Int64 {
        let (seconds, attos) = components
        return seconds * 1000 + attos / 1_000_000_000_000_000
    }
}
