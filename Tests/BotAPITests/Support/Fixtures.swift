import Foundation

/// The JSON samples under Fixtures/, by folder.
enum Fixtures {
    static func files(_ folder: String) throws -> [(name: String, data: Data)] {
        guard let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.appendingPathComponent(folder) else {
            throw FixtureError(message: "no Fixtures/\(folder) in the test bundle")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else { throw FixtureError(message: "Fixtures/\(folder) is empty") }
        return try names.map { ($0, try Data(contentsOf: dir.appendingPathComponent($0))) }
    }

    struct FixtureError: Error { var message: String }
}

/// Compares two JSON documents by meaning (key order and number spelling aside).
func jsonEqual(_ a: Data, _ b: Data) throws -> Bool {
    let x = try JSONSerialization.jsonObject(with: a) as! NSObject
    let y = try JSONSerialization.jsonObject(with: b) as! NSObject
    return x.isEqual(y)
}
