import ArgumentParser
import Foundation
import Locking
import Synchronization
import TGBot

/// The roles' entry point, behind `Cluster.main(bot)` of the `TGCluster` module. The first
/// argument picks the role: `ingest`, `broker`, `sequencer`, `worker`, or `run` (all of them,
/// supervised).
package enum Roles {
    static let current = Mutex<Bot?>(nil)

    static var bot: Bot {
        guard let bot = current.locked({ $0 }) else { preconditionFailure("Cluster.main was not called") }
        return bot
    }

    package static func main(_ bot: Bot, arguments: [String]) async -> Never {
        current.locked { $0 = bot }
        // The journal, the store, the sockets: nothing this process creates is for other users.
        DataDirectory.makeCreationsPrivate()
        do {
            var command = try ClusterCommand.parseAsRoot(arguments)
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
            exit(0)
        } catch {
            ClusterCommand.exit(withError: error)
        }
    }
}

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: (CommandLine.arguments.first as NSString?)?.lastPathComponent ?? "bot",
        abstract: "A Telegram bot run as a tgcluster cluster.",
        discussion: """
        Configuration from the environment (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL, TGCLUSTER_DATA_DIR), overridden by flags.
        `run` starts every role in the foreground; the other commands run one role (what `run` starts).
        """,
        subcommands: [RunCommand.self, IngestCommand.self, BrokerCommand.self, SequencerCommand.self, WorkerCommand.self]
    )
}
