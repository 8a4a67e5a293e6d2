import Foundation

/// One HTTP/1.1 response read from a stream of bytes: a pure state machine (bytes in, a verdict
/// out; no socket, no clock), so every way a server can split, stretch or break a response is
/// tested without a network (`HTTPResponseParserTests`).
///
/// It reads what the Bot API and its local server send, and what any HTTP/1.1 server may: a
/// body framed by `Content-Length`, by `Transfer-Encoding: chunked`, or by the end of the
/// connection (HTTP/1.0, or no framing at all); interim `1xx` responses are skipped; `204` and
/// `304` have no body. It keeps the two headers the client uses (`Retry-After`, `Content-Type`)
/// and whether the connection may carry another request.
package struct HTTPResponseParser {
    package enum Verdict: Equatable {
        /// The response is not complete yet.
        case needMore
        /// The response is complete; `reusable` says whether the connection may carry another
        /// request (kept alive, and nothing arrived past this response).
        case complete(reusable: Bool)
        /// Not HTTP, or broken framing: the connection is unusable.
        case failed(String)
    }

    /// The head's limit: a larger one is not a Bot API answer.
    package static let maxHeadBytes = 64 * 1024
    /// The most a Content-Length reserves before the body comes: a larger body grows as it
    /// arrives. The length is the server's word: reserving it whole, a broken or hostile one
    /// (`Content-Length: 33333333312`, the fuzzer's) took the process down.
    package static let maxReserve = 1 << 20

    package private(set) var status = 0
    package private(set) var body = Data()
    package private(set) var retryAfter: Int?
    package private(set) var contentType: String?
    /// Bytes received so far (a reused connection that closes before any byte was sent is
    /// retried on a new one; one that closes after is not).
    package private(set) var received = 0

    private enum State: Equatable {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case done
    }

    private var state = State.head
    /// A line (or the head) that arrived in pieces, kept until its end arrives.
    private var pending: [UInt8] = []
    private var keepAlive = true
    private var verdict = Verdict.needMore

    package init() {}

    /// Feeds the next bytes from the connection.
    package mutating func consume(_ bytes: UnsafeRawBufferPointer) -> Verdict {
        guard verdict == .needMore else {
            // Bytes past a complete response: the connection is out of step, not reusable.
            if !bytes.isEmpty, case .complete = verdict { verdict = .complete(reusable: false) }
            return verdict
        }
        received += bytes.count
        var input = bytes
        while !input.isEmpty, verdict == .needMore {
            input = step(input)
        }
        if !input.isEmpty, case .complete = verdict { verdict = .complete(reusable: false) }
        return verdict
    }

    /// The connection ended (the peer closed it).
    package mutating func endOfInput() -> Verdict {
        guard verdict == .needMore else { return verdict }
        switch state {
        case .untilClose:
            verdict = .complete(reusable: false)
        case .head where received == 0:
            verdict = .failed("the server closed the connection without answering")
        default:
            verdict = .failed("the server closed the connection in the middle of its answer")
        }
        return verdict
    }

    /// Takes what it can of `input` in the current state; returns the rest.
    private mutating func step(_ input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        switch state {
        case .head:
            return takeLine(input, terminator: .blankLine) { parser, head in parser.parseHead(head) }
        case .fixed(let remaining):
            let n = min(remaining, input.count)
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[..<n]))
            if n == remaining { finish() } else { state = .fixed(remaining: remaining - n) }
            return UnsafeRawBufferPointer(rebasing: input[n...])
        case .chunkSize:
            return takeLine(input, terminator: .lineEnd) { parser, line in parser.parseChunkSize(line) }
        case .chunkData(let remaining):
            let n = min(remaining, input.count)
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[..<n]))
            state = n == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - n)
            return UnsafeRawBufferPointer(rebasing: input[n...])
        case .chunkDataEnd:
            return takeLine(input, terminator: .lineEnd) { parser, line in
                if line.isEmpty { parser.state = .chunkSize } else { parser.verdict = .failed("a chunk longer than its size") }
            }
        case .trailers:
            return takeLine(input, terminator: .lineEnd) { parser, line in
                if line.isEmpty { parser.finish() }
            }
        case .untilClose:
            body.append(contentsOf: input)
            return UnsafeRawBufferPointer(start: nil, count: 0)
        case .done:
            return input
        }
    }

    private enum Terminator { case lineEnd, blankLine }

    private static let lineEnd: [UInt8] = [13, 10]
    private static let blankLine: [UInt8] = [13, 10, 13, 10]

    /// Finds the end of the line (or of the head) in `input`, with what arrived before in
    /// `pending`; hands the whole of it, without its terminator, to `use`, and returns what
    /// follows. Without an end yet, keeps `input` and returns nothing.
    private mutating func takeLine(_ input: UnsafeRawBufferPointer, terminator: Terminator,
                                   _ use: (inout HTTPResponseParser, UnsafeRawBufferPointer) -> Void) -> UnsafeRawBufferPointer {
        let mark = terminator == .blankLine ? Self.blankLine : Self.lineEnd
        // The same limit however the bytes were split (the `http-response` fuzz target holds
        // the parser to that): a line whose end is past it fails, and so does one that can no
        // longer end within it. Its message is made when it fails, not per line (it was two
        // string appends per answer, `scripts/bench instructions`).
        let limit = terminator == .blankLine ? Self.maxHeadBytes : 4096
        var tooLong: Verdict {
            .failed(terminator == .blankLine ? "a response head over \(limit) bytes" : "a chunk-size line over \(limit) bytes")
        }
        if pending.isEmpty, let end = Self.find(mark, in: input) {
            // The common case: the whole line is in this read, used where it lies.
            guard end <= limit else {
                verdict = tooLong
                return UnsafeRawBufferPointer(start: nil, count: 0)
            }
            use(&self, UnsafeRawBufferPointer(rebasing: input[..<end]))
            return UnsafeRawBufferPointer(rebasing: input[(end + mark.count)...])
        }
        // Joined with what came before; the terminator may itself be split.
        let before = pending.count
        let searchFrom = max(0, before - (mark.count - 1))
        pending.append(contentsOf: input)
        let found = pending.withUnsafeBytes { all in
            Self.find(mark, in: UnsafeRawBufferPointer(rebasing: all[searchFrom...])).map { $0 + searchFrom }
        }
        guard let end = found else {
            if pending.count - (mark.count - 1) > limit { verdict = tooLong }
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        if end > limit {
            verdict = tooLong
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        let line = Array(pending[..<end])
        pending.removeAll(keepingCapacity: true)
        line.withUnsafeBytes { use(&self, $0) }
        // What followed the terminator in this read.
        let consumed = end + mark.count - before
        return UnsafeRawBufferPointer(rebasing: input[consumed...])
    }

    /// The first `mark` (CRLF, or CRLF CRLF) in `bytes`: `memchr` to each CR, then compared.
    private static func find(_ mark: [UInt8], in bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= mark.count, let base = bytes.baseAddress else { return nil }
        var offset = 0
        while offset <= bytes.count - mark.count {
            guard let cr = memchr(base + offset, 13, bytes.count - mark.count + 1 - offset) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(cr))
            if mark.withUnsafeBytes({ memcmp(base + at, $0.baseAddress!, mark.count) }) == 0 { return at }
            offset = at + 1
        }
        return nil
    }

    // MARK: - The head

    private mutating func parseHead(_ head: UnsafeRawBufferPointer) {
        var lines = HeadLines(head)
        guard let statusLine = lines.next(), let (version, status) = Self.statusLine(statusLine) else {
            verdict = .failed("not an HTTP/1.x response")
            return
        }
        // Interim answers (100 Continue, 103 Early Hints) come before the real one.
        if (100..<200).contains(status) {
            state = .head
            return
        }
        self.status = status
        keepAlive = version >= 1
        var length: Int?
        var chunked = false
        retryAfter = nil
        contentType = nil
        while let line = lines.next() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                verdict = .failed("a header line without a colon")
                return
            }
            let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
            let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
            if Self.equalsLowercased(name, "content-length") {
                guard let n = Self.decimal(value), length == nil || length == n else {
                    verdict = .failed("a bad Content-Length")
                    return
                }
                length = n
            } else if Self.equalsLowercased(name, "transfer-encoding") {
                // Only `chunked` (last) frames a body here; other codings are not asked for.
                chunked = Self.endsWithLowercased(value, "chunked")
                if !chunked {
                    verdict = .failed("a Transfer-Encoding other than chunked")
                    return
                }
            } else if Self.equalsLowercased(name, "connection") {
                if Self.containsLowercased(value, "close") { keepAlive = false }
                if Self.containsLowercased(value, "keep-alive") { keepAlive = true }
            } else if Self.equalsLowercased(name, "retry-after") {
                retryAfter = Self.decimal(value)
            } else if Self.equalsLowercased(name, "content-type") {
                contentType = HTTPResponse.headerValue(value)
            }
        }
        if status == 204 || status == 304 {
            finish()
        } else if chunked {
            state = .chunkSize
        } else if let length {
            body.reserveCapacity(min(length, Self.maxReserve))
            if length == 0 { finish() } else { state = .fixed(remaining: length) }
        } else {
            keepAlive = false
            state = .untilClose
        }
    }

    private mutating func parseChunkSize(_ line: UnsafeRawBufferPointer) {
        var size = 0
        var digits = 0
        for byte in line {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            default: digit = -1
            }
            if digit < 0 { break }  // a chunk extension (`;name=value`) or spaces follow
            digits += 1
            guard digits <= 15 else {
                verdict = .failed("a chunk size too large")
                return
            }
            size = size * 16 + digit
        }
        guard digits > 0 else {
            verdict = .failed("a bad chunk size")
            return
        }
        state = size == 0 ? .trailers : .chunkData(remaining: size)
    }

    private mutating func finish() {
        state = .done
        verdict = .complete(reusable: keepAlive)
    }

    // MARK: - Bytes

    /// `HTTP/1.x NNN reason`: the minor version and the status.
    private static func statusLine(_ line: UnsafeRawBufferPointer) -> (Int, Int)? {
        let prefix: [UInt8] = Array("HTTP/1.".utf8)
        guard line.count >= 12, line.starts(with: prefix), line[8] == UInt8(ascii: " ") else { return nil }
        let minor = line[7]
        guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(minor) else { return nil }
        var status = 0
        for byte in line[9..<12] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            status = status * 10 + Int(byte - UInt8(ascii: "0"))
        }
        guard line.count == 12 || line[12] == UInt8(ascii: " "), status >= 100 else { return nil }
        return (Int(minor - UInt8(ascii: "0")), status)
    }

    private static func trimmed(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0, end = value.count
        while start < end, value[start] == 0x20 || value[start] == 0x09 { start += 1 }
        while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: value[start..<end])
    }

    private static func decimal(_ value: UnsafeRawBufferPointer) -> Int? {
        guard !value.isEmpty, value.count <= 18 else { return nil }
        var n = 0
        for byte in value {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            n = n * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return n
    }

    private static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        bytes.count == lowercased.utf8CodeUnitCount && matches(bytes, at: 0, lowercased)
    }

    private static func endsWithLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        let n = lowercased.utf8CodeUnitCount
        return bytes.count >= n && matches(bytes, at: bytes.count - n, lowercased)
    }

    private static func containsLowercased(_ bytes: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        let n = lowercased.utf8CodeUnitCount
        guard bytes.count >= n else { return false }
        return (0...(bytes.count - n)).contains { matches(bytes, at: $0, lowercased) }
    }

    private static func matches(_ bytes: UnsafeRawBufferPointer, at offset: Int, _ lowercased: StaticString) -> Bool {
        let p = lowercased.utf8Start
        for i in 0..<lowercased.utf8CodeUnitCount where bytes[offset + i] | 0x20 != p[i] { return false }
        return true
    }
}

/// The lines of a response head (split at CRLF), the status line first.
private struct HeadLines {
    private let head: UnsafeRawBufferPointer
    private var offset = 0

    init(_ head: UnsafeRawBufferPointer) { self.head = head }

    mutating func next() -> UnsafeRawBufferPointer? {
        guard offset < head.count else { return nil }
        let base = head.baseAddress!
        let end = memchr(base + offset, 0x0A, head.count - offset).map { base.distance(to: UnsafeRawPointer($0)) } ?? head.count
        var lineEnd = end
        if lineEnd > offset, head[lineEnd - 1] == 0x0D { lineEnd -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: head[offset..<lineEnd])
        offset = end + 1
        return line
    }
}
