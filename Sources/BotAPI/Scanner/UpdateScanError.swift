/// Why bytes could not be scanned as updates.
public enum UpdateScanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not valid JSON.
    case malformed(JSONScanError)
    /// A `getUpdates` response with `ok: false`.
    case notOK(errorCode: Int?, description: String)
    /// Valid JSON, but not an update (no integer `update_id`, not an object).
    case notAnUpdate(offset: Int, reason: String)

    public var description: String {
        switch self {
        case .malformed(let e): return e.description
        case .notOK(let code, let text): return "response not ok: \(code.map { "\($0) " } ?? "")\(text)"
        case .notAnUpdate(let offset, let reason): return "not an update at byte \(offset): \(reason)"
        }
    }
}
