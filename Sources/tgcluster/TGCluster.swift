import ArgumentParser

/// The `tgcluster` command: tools around a tgcluster bot (the bot itself is its own binary).
@main
struct TGCluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tgcluster",
        abstract: "Run and measure Telegram bots as clusters of processes.",
        subcommands: [SimCommand.self, ProbeCommand.self, StatusCommand.self, ScaleCommand.self, KeysCommand.self, JobsCommand.self,
                      CaptureCommand.self, ReplayCommand.self]
    )
}
