/// What the webhook accepts, as a pure function of the request (tested without sockets): the
/// path of `--url`, POST, a JSON body no larger than the limit, and Telegram's secret header,
/// compared in constant time. `/healthz` answers load balancers; nothing else answers 200.
package struct WebhookPolicy: Sendable {
    package enum Verdict: Equatable, Sendable {
        /// Read the body and hand the update to the broker.
        case accept
        /// `GET /healthz`.
        case health
        /// Answer this status (with a short reason) and enqueue nothing.
        case reject(status: Int, reason: String)
    }

    package var path: String
    package var secret: String?
    package var maxBodyBytes: Int

    package init(path: String, secret: String?, maxBodyBytes: Int) {
        self.path = path.isEmpty ? "/" : path
        self.secret = secret
        self.maxBodyBytes = maxBodyBytes
    }

    /// The verdict on a request's head (before its body is read).
    package func check(method: String, uri: String, headers: [(String, String)]) -> Verdict {
        let requestPath = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        if requestPath == "/healthz" {
            return method == "GET" || method == "HEAD" ? .health : .reject(status: 405, reason: "method not allowed")
        }
        guard requestPath == path else { return .reject(status: 404, reason: "not found") }
        guard method == "POST" else { return .reject(status: 405, reason: "method not allowed") }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
        if let secret {
            guard let given = header("x-telegram-bot-api-secret-token"), Self.constantTimeEqual(given, secret) else {
                return .reject(status: 403, reason: "forbidden")
            }
        }
        guard let type = header("content-type")?.lowercased(), type.hasPrefix("application/json") else {
            return .reject(status: 415, reason: "expected application/json")
        }
        if let length = header("content-length").flatMap(Int.init), length > maxBodyBytes {
            return .reject(status: 413, reason: "body larger than \(maxBodyBytes) bytes")
        }
        return .accept
    }

    /// Equal strings, in time that depends only on their lengths (no early exit on a mismatch).
    package static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    /// Telegram's rule for `secret_token`: 1-256 of A-Z, a-z, 0-9, _ and -.
    package static func isValidSecret(_ s: String) -> Bool {
        (1...256).contains(s.utf8.count) && s.utf8.allSatisfy { c in
            (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95 || c == 45
        }
    }
}
