import Foundation
import FuzzTargets
import Testing

/// The committed corpora replayed through every fuzz target in the normal build: the seeds,
/// and each input that once crashed a target (`crash-*`, kept after the fix), so a fixed bug
/// stays fixed without an instrumented build.
@Suite("Fuzz corpora")
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/Corpus")

    @Test(arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) throws {
        let dir = Self.corpus.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
        #expect(files.count >= 4, "a seed corpus for \(target.rawValue)")
        for file in files {
            target.run(try Data(contentsOf: file))
        }
    }

    /// The piece format splits every byte string and joins back what it split.
    @Test func piecesRoundTrip() {
        let parts = [Data("head".utf8), Data(), Data(repeating: 7, count: 300)]
        #expect(FuzzInput.pieces(FuzzInput.joined(parts)) == parts)
        #expect(FuzzInput.pieces(Data([0])) == [Data([0])])
        #expect(FuzzInput.pieces(Data([0, 9, 1])) == [Data([1])])
    }
}
