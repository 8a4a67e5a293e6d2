import Foundation

/// Status files (`broker.json`, `supervisor.json`): written whole to a temporary file and
/// renamed, so a reader never sees half of one.
enum StatusFile {
    static func write<T: Encodable>(_ value: T, to file: URL) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(value) else { return }
        let tmp = file.appendingPathExtension("tmp")
        if (try? data.write(to: tmp)) != nil { rename(tmp.path, file.path) }
    }

    static func read<T: Decodable>(_ type: T.Type, from file: URL) -> T? {
        guard let data = try? Data(contentsOf: file) else { return nil }
        return try? JSONDecoder().decode(T.self, from: data)
    }
}
