import Foundation
import Testing
@testable import BotAPI

/// The plain-HTTP client's response parser, without sockets: every framing a server may use,
/// split at every byte, and the answers it must refuse.
@Suite("HTTPResponseParser")
struct HTTPResponseParserTests {
    /// Feeds `response` in pieces cut at `cuts` (offsets), then the end of input if `close`.
    static func parse(_ response: String, cuts: [Int] = [], close: Bool = false) -> (HTTPResponseParser, HTTPResponseParser.Verdict) {
        let bytes = Array(response.utf8)
        var parser = HTTPResponseParser()
        var verdict = HTTPResponseParser.Verdict.needMore
        var start = 0
        for end in cuts + [bytes.count] where end >= start {
            verdict = bytes[start..<end].withUnsafeBytes { parser.consume($0) }
            start = end
        }
        if close { verdict = parser.endOfInput() }
        return (parser, verdict)
    }

    static let json = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n{\"ok\":true,\"result\":{\"a\":1}}"

    @Test func aContentLengthResponse_splitAtEveryByte_readsTheSame() {
        let whole = Self.parse(Self.json)
        #expect(whole.1 == .complete(reusable: true))
        #expect(whole.0.status == 200)
        #expect(String(decoding: whole.0.body, as: UTF8.self) == #"{"ok":true,"result":{"a":1}}"#)
        #expect(whole.0.contentType == "application/json")
        for cut in 1..<Self.json.utf8.count {
            let split = Self.parse(Self.json, cuts: [cut])
            #expect(split.1 == .complete(reusable: true), "cut at \(cut)")
            #expect(split.0.body == whole.0.body, "cut at \(cut)")
        }
        // One byte at a time.
        let bytes = Self.parse(Self.json, cuts: Array(1..<Self.json.utf8.count))
        #expect(bytes.1 == .complete(reusable: true))
        #expect(bytes.0.body == whole.0.body)
    }

    @Test func aChunkedResponse_withExtensionsAndTrailers_splitAtEveryByte() {
        let chunked = "HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\nRetry-After: 7\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n"
        for cut in 0..<chunked.utf8.count {
            let (parser, verdict) = Self.parse(chunked, cuts: cut == 0 ? [] : [cut])
            #expect(verdict == .complete(reusable: true), "cut at \(cut)")
            #expect(String(decoding: parser.body, as: UTF8.self) == "hello, world!!!", "cut at \(cut)")
            #expect(parser.status == 429)
            #expect(parser.retryAfter == 7)
        }
    }

    /// HTTP/1.0, or 1.1 without framing: the body ends with the connection, which is not reused.
    @Test func aBodyWithoutLength_endsWithTheConnection() {
        let (parser, verdict) = Self.parse("HTTP/1.0 200 OK\r\n\r\nuntil the end", close: true)
        #expect(verdict == .complete(reusable: false))
        #expect(String(decoding: parser.body, as: UTF8.self) == "until the end")
        let open = Self.parse("HTTP/1.1 200 OK\r\n\r\npartial")
        #expect(open.1 == .needMore, "without the end of input it may go on")
    }

    @Test func connectionClose_andExtraBytes_makeTheConnectionUnusable() {
        #expect(Self.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").1 == .complete(reusable: false))
        #expect(Self.parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").1 == .complete(reusable: true))
        #expect(Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA").1 == .complete(reusable: false),
                "bytes past the answer: the connection is out of step")
    }

    @Test func interimAnswers_areSkipped_andEmptyStatusesHaveNoBody() {
        let (parser, verdict) = Self.parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", cuts: [10, 30])
        #expect(verdict == .complete(reusable: true))
        #expect(parser.status == 200)
        #expect(String(decoding: parser.body, as: UTF8.self) == "ok")
        #expect(Self.parse("HTTP/1.1 204 No Content\r\n\r\n").1 == .complete(reusable: true))
    }

    @Test func brokenAnswers_fail_withAReason() {
        let broken = [
            "SSH-2.0-OpenSSH_9.2\r\n\r\n",
            "HTTP/1.1 2x0 OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
        ]
        for answer in broken {
            guard case .failed = Self.parse(answer).1 else {
                Issue.record("accepted: \(answer.debugDescription)")
                continue
            }
        }
        // A head that never ends is refused past its limit, not kept growing.
        var parser = HTTPResponseParser()
        let line = Array("X-Padding: \(String(repeating: "a", count: 1000))\r\n".utf8)
        var verdict = Array("HTTP/1.1 200 OK\r\n".utf8).withUnsafeBytes { parser.consume($0) }
        for _ in 0..<100 where verdict == .needMore { verdict = line.withUnsafeBytes { parser.consume($0) } }
        #expect(verdict == .failed("a response head over \(HTTPResponseParser.maxHeadBytes) bytes"))
    }

    /// A server that closes before answering, or in the middle: the two are told apart, since
    /// only the first is sent again on a new connection.
    @Test func anEarlyEnd_isFailure_andSaysWhetherAnythingCame() {
        let nothing = Self.parse("", close: true)
        #expect(nothing.1 == .failed("the server closed the connection without answering"))
        #expect(nothing.0.received == 0)
        let half = Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", close: true)
        #expect(half.1 == .failed("the server closed the connection in the middle of its answer"))
        #expect(half.0.received > 0)
    }

    /// A Content-Length no memory holds (the fuzzer's crash, with the largest length the parser
    /// reads): nothing is reserved for it beyond `maxReserve`, the body grows as it comes, and
    /// the server's close in the middle fails the answer. It trapped in the allocator before.
    @Test func aHugeContentLength_reservesLittle_andFailsWhenTheBodyStops() {
        let (parser, verdict) = Self.parse("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 999999999999999999\r\n\r\n<h1>502</h1>")
        #expect(verdict == .needMore)
        #expect(parser.body == Data("<h1>502</h1>".utf8))
        let closed = Self.parse("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 999999999999999999\r\n\r\n<h1>502</h1>", close: true)
        #expect(closed.1 == .failed("the server closed the connection in the middle of its answer"))
    }
}
