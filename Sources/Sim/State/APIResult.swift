import Foundation

/// The outcome of one Bot API call, before it becomes an HTTP response.
enum APIResult: Sendable {
    /// `{"ok":true,"result":<json>}`, with Telegram's optional description.
    case ok(String, description: String? = nil)
    /// A body already rendered (getUpdates' batch).
    case body(Data)
    case error(APIError)

    var status: Int {
        if case .error(let e) = self { return e.code }
        return 200
    }

    var isOK: Bool { status == 200 }

    var bodyData: Data {
        switch self {
        case .ok(let result, let description): return Data(JSONText.ok(result, description: description).utf8)
        case .body(let data): return data
        case .error(let e): return Data(e.json.utf8)
        }
    }
}
