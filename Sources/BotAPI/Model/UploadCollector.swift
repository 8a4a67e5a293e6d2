import Locking
import Synchronization

/// Gathers the uploads met while one request is encoded (see `InputFile`).
///
/// Lives for one `encode` call; the lock only satisfies `Sendable` for `userInfo`.
final class UploadCollector: Sendable {
    static let userInfoKey = CodingUserInfoKey(rawValue: "tgcluster.uploads")!

    struct Part: Sendable {
        var name: String
        var file: FileUpload
    }

    private let state = Mutex<[Part]>([])

    var parts: [Part] { state.locked { $0 } }

    /// Registers `file` and returns the part name to reference as `attach://<name>`.
    func add(_ file: FileUpload, topLevelKey: String?) -> String {
        state.locked { parts in
            let name = topLevelKey ?? "file\(parts.count)"
            parts.append(Part(name: name, file: file))
            return name
        }
    }
}
