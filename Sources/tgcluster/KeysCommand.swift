import ArgumentParser
import Bus
import ClusterRuntime
import Foundation

/// `tgcluster keys new|show`: CURVE key pairs for workers on other hosts (issue 14's first
/// piece: the broker's and each worker host's keys).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys",
        abstract: "Make and read CURVE key pairs (ZeroMQ certificate files) for workers on other hosts.",
        subcommands: [New.self, Show.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "new",
            abstract: "Write NAME.key (public) and NAME.key_secret (both keys, mode 0600); never overwrites.")
        @Argument(help: "The pair's name, e.g. broker or worker-host-1.") var name: String
        @Option(help: "The directory (created 0700).") var dir = "."

        func run() throws {
            guard CurveKeyPair.isAvailable else { CLI.fail("this libzmq has no CURVE support") }
            do {
                let paths = try CurveKeyFile.write(try CurveKeyPair.generate(), name: name, directory: dir)
                print("public: \(paths.public)\nsecret: \(paths.secret) (0600: keep it on its host)")
            } catch {
                CLI.fail("\(error)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show",
            abstract: "Print the public key of a certificate file (public or secret); the secret key is never printed.")
        @Argument(help: "NAME.key or NAME.key_secret.") var file: String

        func run() throws {
            do {
                print(try CurveKeyFile.read(file).publicKey)
            } catch {
                CLI.fail("\(error)")
            }
        }
    }
}
