// tgcluster-bench: the project's benchmarks, run by scripts/bench (release build).
//
// Each figure is the median of several rounds, since the machine is shared and noisy.
import BotAPI
import Foundation
import Sim

let arguments = Array(CommandLine.arguments.dropFirst())
let suites: [String: () throws -> Void] = [
    "decode": DecodeBenchmark.run,
]
let chosen = arguments.isEmpty ? suites.keys.sorted() : arguments
for name in chosen {
    guard let suite = suites[name] else {
        FileHandle.standardError.write(Data("unknown benchmark \(name); have: \(suites.keys.sorted().joined(separator: ", "))\n".utf8))
        exit(2)
    }
    try suite()
}
