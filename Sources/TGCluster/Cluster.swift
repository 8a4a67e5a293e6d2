@_exported import BotAPI
@_exported import GRDB
@_exported import Logging
@_exported import TGBot
internal import ClusterRuntime

/// What a bot imports: the handler API (`Bot`, the contexts, shared state, conversations, the
/// JobQueue), the Bot API types, GRDB for the bot's tables and swift-log, and the entry point.
///
/// ```swift
/// import TGCluster
///
/// let bot = Bot()
/// bot.onText { ctx in try await ctx.reply(ctx.text ?? "") }
/// await Cluster.main(bot)
/// ```
public enum Cluster {
    /// Runs the role the first argument names (`run` for the whole cluster, supervised;
    /// `ingest`, `broker`, `sequencer` or `worker` for one process); never returns.
    public static func main(_ bot: Bot, arguments: [String] = Array(CommandLine.arguments.dropFirst())) async -> Never {
        await Roles.main(bot, arguments: arguments)
    }
}
