import BotAPI
import ClusterRuntime
import Foundation
import Logging
import TGBot
import Wire

/// The tester's pool: what a worker sends to the broker (a job, a JobQueue change) runs here,
/// in the test process, through the same `JobRunner` and `GroupCommit` the roles use.
final class InlinePool: JobPool {
    let bot: Bot
    let client: BotClient
    let logger: Logger
    let groups: GroupCommit
    let databases: SharedDatabase
    let rates: RateTable

    init(bot: Bot, client: BotClient, logger: Logger, groups: GroupCommit, databases: SharedDatabase, rates: RateTable) {
        self.rates = rates
        self.bot = bot
        self.client = client
        self.logger = logger
        self.groups = groups
        self.databases = databases
    }

    /// Runs jobs as a worker does, with the pool's effects.
    var runner: JobRunner {
        JobRunner(bot: bot, client: client, logger: logger, effects: PoolEffects(client: client, pool: self, databases: databases, rates: rates))
    }

    func submit(name: String, input: Data) async throws -> Data {
        let (outcome, output) = await runner.run(Job(id: 0, attempt: 1, payload: .task(name: name, input: input)))
        guard outcome == .ok else { throw JobError(job: name, reason: String(decoding: output, as: UTF8.self)) }
        return output
    }

    func schedule(change: Data) async throws -> Data {
        let result = try await groups.commit([Job(id: 0, attempt: 1, payload: .schedule(change))], finished: [], fireTimers: false)
        guard let done = result.dones.first, done.outcome == .ok else {
            throw JobError(job: "JobQueue change", reason: String(decoding: result.dones.first?.output ?? Data(), as: UTF8.self))
        }
        return done.output
    }

    func lend() {}
    func reclaim() {}
}
