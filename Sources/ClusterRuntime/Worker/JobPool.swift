import Foundation

/// Where the pool's effects send what is not a Bot API call: jobs (`runAsync`) and JobQueue
/// changes, and the slot a waiting job lends. A worker sends them to the broker;
/// `TGClusterTesting`'s `BotTester` runs them in the test process.
package protocol JobPool: Sendable {
    /// Runs the bot's job `name` somewhere in the pool; its output.
    func submit(name: String, input: Data) async throws -> Data
    /// Applies a JobQueue change (a coded `ScheduleRequest`) once; the ids it touched, coded.
    func schedule(change: Data) async throws -> Data
    /// A job waits on another: its slot is lent meanwhile (no nested deadlock).
    func lend()
    func reclaim()
}
