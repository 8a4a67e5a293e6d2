import ArgumentParser
import ClusterRuntime
import Foundation

/// `tgcluster capture export`: the journal's updates as JSONL, for replay and golden tests.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "capture",
        abstract: "Work with the updates a cluster captured in its journal.",
        subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export",
            abstract: "Print the captured updates, one JSON object per line: {\"received_at\": <unix s>, \"update\": {...}}.")

        @Option(name: .customLong("data-dir"), help: "The cluster's data dir (default: $TGCLUSTER_DATA_DIR or ./.tgcluster).")
        var dataDir: String?
        @Option(help: "Only updates received at or after this time (ISO 8601 or Unix seconds).") var since: String?
        @Option(help: "Only updates received at or before this time (ISO 8601 or Unix seconds).") var until: String?
        @Option(help: "Only these update kinds, comma-separated (message,callback_query,...).") var kind: String?
        @Flag(help: "Replace names, usernames and texts with stable fake values (for sharing a capture).") var redact = false

        func run() throws {
            let dir = dataDir ?? ProcessInfo.processInfo.environment["TGCLUSTER_DATA_DIR"] ?? "./.tgcluster"
            if !redact {
                FileHandle.standardError.write(Data(("capture export: the output holds users' messages as they sent them (names, "
                    + "usernames, texts); keep the file private (chmod 600), or use --redact to share it\n").utf8))
            }
            do {
                let entries = try Capture.entries(dataDir: dir, since: try since.map(Self.time), until: try until.map(Self.time),
                                                  kinds: kind.map { Set($0.split(separator: ",").map(String.init)) })
                var out = Data()
                for e in entries {
                    out.append(try Capture.line(e, redact: redact))
                    out.append(10)
                }
                FileHandle.standardOutput.write(out)
            } catch let error as ValidationError {
                throw error
            } catch {
                CLI.fail("\(error)")
            }
        }

        static func time(_ text: String) throws -> Double {
            if let seconds = Double(text) { return seconds }
            if let date = ISO8601DateFormatter().date(from: text) { return date.timeIntervalSince1970 }
            throw ValidationError("not a time: \(text) (ISO 8601, e.g. 2026-12-02T10:00:00Z, or Unix seconds)")
        }
    }
}
