import Foundation
import FuzzTargets
#if FUZZING
import CFuzzerShims
#endif

#if FUZZING
/// The target this libFuzzer binary drives, named by `TGCLUSTER_FUZZ_TARGET` (scripts/fuzz
/// sets it): one instrumented build serves every target.
let selectedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["TGCLUSTER_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("tgcluster-fuzz: set TGCLUSTER_FUZZ_TARGET to one of \(names)\n".utf8))
        exit(2)
    }
    return target
}()

/// libFuzzer's entry point: one input through the selected target.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    selectedTarget.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
}

/// The program's entry point in the instrumented build: SwiftPM links every executable with
/// `main` defined as `<module>_main`, so this hands the arguments to libFuzzer's driver.
@_cdecl("tgcluster_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in fuzzOneInput(bytes, count) }
}
#else
/// Without the fuzzer (a normal build): `replay TARGET FILE|DIR...` runs inputs through a
/// target (a crash reproduces as it did under the fuzzer), `seeds CORPUS-DIR` writes the seed
/// corpora that `Fuzz/Corpus` holds.
@main
enum FuzzTool {
    static func main() throws {
        let args = Array(CommandLine.arguments.dropFirst())
        switch args.first {
        case "replay" where args.count >= 3:
            guard let target = FuzzTarget(rawValue: args[1]) else { fail("unknown target \(args[1])") }
            var count = 0
            for path in args.dropFirst(2) {
                for file in try FuzzSeeds.files(at: URL(fileURLWithPath: path)) {
                    target.run(try Data(contentsOf: file))
                    count += 1
                }
            }
            print("\(target.rawValue): \(count) inputs, no failure")
        case "seeds" where args.count == 2:
            let root = URL(fileURLWithPath: args[1])
            for target in FuzzTarget.allCases {
                let seeds = try FuzzSeeds.seeds(for: target)
                try FuzzSeeds.write(seeds, to: root.appendingPathComponent(target.rawValue))
                print("\(target.rawValue): \(seeds.count) seeds")
            }
        default:
            fail("usage: tgcluster-fuzz replay TARGET FILE|DIR... | seeds CORPUS-DIR (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("tgcluster-fuzz: \(message)\n".utf8))
        exit(2)
    }
}
#endif
