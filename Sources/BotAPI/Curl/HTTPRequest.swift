import Foundation

/// One HTTP request for `CurlMultiLoop`: plain data, so it can cross to the loop thread.
public struct HTTPRequest: Sendable {
    public enum Body: Sendable {
        case none
        case bytes(Data, contentType: String)
        case multipart([MultipartField])
    }

    /// One field of a `multipart/form-data` body; `filename` makes it a file part.
    public struct MultipartField: Sendable, Equatable {
        public var name: String
        public var data: Data
        public var filename: String?
        public var contentType: String?

        public init(name: String, data: Data, filename: String? = nil, contentType: String? = nil) {
            self.name = name
            self.data = data
            self.filename = filename
            self.contentType = contentType
        }
    }

    public var url: String
    public var body: Body
    public var headers: [(String, String)]
    public var connectTimeout: Duration
    /// The whole transfer, connect included; a long poll needs its poll time plus a margin.
    public var totalTimeout: Duration
    /// Open a new connection and close it after: measures connect and TLS every time.
    public var freshConnection = false
    /// The URL is one of the few a client calls again and again (a Bot API method's): the loop
    /// parses it once and keeps the parsed form (`CurlURLTable`). Off for one-off URLs (a file's
    /// download), which would fill the table.
    public var recurringURL = false

    public init(url: String, body: Body = .none, headers: [(String, String)] = [],
                connectTimeout: Duration = .seconds(10), totalTimeout: Duration = .seconds(30)) {
        self.url = url
        self.body = body
        self.headers = headers
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
    }
}

/// What came back, with libcurl's timings for the transfer.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: Data
    /// `Retry-After`, when the server sent one (seconds).
    public var retryAfter: Int?
    public var contentType: String?
    public var metrics: TransferMetrics

    /// A header's value as a String (both clients keep `Content-Type`). Every Bot API answer's
    /// type is the same 16 bytes, one past what a String holds without the heap: the literal,
    /// rather than a String built per response.
    static func headerValue(_ value: UnsafeRawBufferPointer) -> String {
        let json: StaticString = "application/json"
        if value.count == json.utf8CodeUnitCount, memcmp(value.baseAddress!, json.utf8Start, value.count) == 0 {
            return "application/json"
        }
        return String(decoding: value, as: UTF8.self)
    }
}

/// libcurl's per-phase timings of one transfer (see `CURLINFO_*_TIME_T` in curl_easy_getinfo(3)):
/// each is measured from the start of the transfer, so phases nest.
public struct TransferMetrics: Sendable, Equatable {
    public var nameLookup: Duration
    public var connect: Duration
    /// The TLS handshake's end; zero for plain HTTP.
    public var appConnect: Duration
    public var preTransfer: Duration
    public var startTransfer: Duration
    public var total: Duration
    /// New connections this transfer opened (`CURLINFO_NUM_CONNECTS`): 0 means it reused one.
    public var newConnections: Int

    public static let zero = TransferMetrics(nameLookup: .zero, connect: .zero, appConnect: .zero,
                                             preTransfer: .zero, startTransfer: .zero, total: .zero,
                                             newConnections: 0)
}
