// tgcluster-bench: the project's benchmarks, run by scripts/bench (release build).
//
// Each figure is a median of several rounds or a whole-run figure on a fixed workload, since
// the machine is shared and noisy. `tgcluster-bench <suite> [options]`.
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard let suite = arguments.first else {
    print("usage: tgcluster-bench decode | broker | cluster [--peers] [--quick] | sequencer [--quick] | buttons [--quick] | journal | remote [--rounds=N] | scale [--updates=N --chats=N] | soak [--minutes=N --rate=N --every=S --ingest-in-broker --bin=DIR --bot=counterbot]")
    exit(2)
}
switch suite {
case "decode":
    try DecodeBenchmark.run()
case "cluster":
    try await ClusterBenchmark.run(arguments: Array(arguments.dropFirst()))
case "journal":
    try JournalBenchmark.run()
case "broker":
    BrokerBenchmark.run()
case "sequencer":
    try await SequencerBenchmark.run(arguments: Array(arguments.dropFirst()))
case "buttons":
    try await ButtonBenchmark.run(arguments: Array(arguments.dropFirst()))
case "scale":
    try await ScaleBenchmark.run(arguments: Array(arguments.dropFirst()))
case "soak":
    try await SoakBenchmark.run(arguments: Array(arguments.dropFirst()))
case "remote":
    try await RemoteBenchmark.run(arguments: Array(arguments.dropFirst()))
default:
    FileHandle.standardError.write(Data("unknown benchmark \(suite); have: decode, broker, cluster, sequencer, buttons, journal, remote, scale, soak\n".utf8))
    exit(2)
}
