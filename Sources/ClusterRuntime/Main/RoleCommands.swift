import ArgumentParser
import BotAPI
import Bus
import Wire
import Foundation
import TGBot
import Logging
import ServiceLifecycle

/// `<bot> broker`
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "broker",
        abstract: "Run the broker: dedupe, route, keep each chat in order, hand out jobs by credit, requeue the work of dead workers.")

    @OptionGroup var common: CommonOptions

    @Flag(name: .customLong("with-ingest"), help: "Also long-poll getUpdates in this process (run's --ingest-in-broker).")
    var withIngest = false

    @Option(name: .customLong("poll-timeout"), help: "With --with-ingest: getUpdates' long-poll timeout in seconds (0-50).")
    var pollTimeout = 50

    @Flag(name: .customLong("delete-webhook"), help: "With --with-ingest: call deleteWebhook before polling (run's --register).")
    var deleteWebhook = false

    func validate() throws {
        guard (0...50).contains(pollTimeout) else { throw ValidationError("--poll-timeout must be 0...50") }
        if deleteWebhook, !withIngest { throw ValidationError("--delete-webhook goes with --with-ingest") }
    }

    func run() async throws {
        var configuration = try common.configuration()
        if withIngest {
            configuration.ingestInBroker = true
            configuration.pollTimeout = pollTimeout
        }
        let logger = common.logger(role: "broker")
        RoleLifecycle.prepareDataDirectory(configuration.absoluteDataDir, logger: logger)
        let context = ZMQContext()
        let service: BrokerService
        do {
            service = try BrokerService(bot: Roles.bot, configuration: configuration, context: context, logger: logger)
        } catch {
            RoleLifecycle.bootFailure("\(error)", logger: logger)
        }
        guard let link = service.localIngest else {
            await RoleLifecycle.run(service, after: [.init("zeromq") { context.close() }],
                                    drainDeadline: configuration.drainDeadline, logger: logger)
            return
        }
        let (ingestLogger, client) = bootClientRole("ingest", configuration: configuration, common: common)
        if deleteWebhook { await deleteWebhookToPoll(client, logger: ingestLogger) }
        let ingest = IngestService(bot: Roles.bot, configuration: configuration, client: client, link: link, logger: ingestLogger)
        // Started after the broker, stopped before it: the broker drains what ingest handed it.
        await RoleLifecycle.run([service, ingest], after: resources(context: context, client: client),
                                drainDeadline: configuration.drainDeadline, logger: logger)
    }
}

/// `<bot> worker`
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker",
        abstract: "Run a worker: concurrent handlers and jobs, replies through one libcurl multi handle.")

    @OptionGroup var common: CommonOptions

    @Option(help: "Handlers in flight at once in this process.")
    var concurrency = 64

    @Option(help: "A handler running longer than this is treated as a crash, e.g. 60s.")
    var deadline = "60s"

    @Option(name: .customLong("max-memory"), help: "Recycle this worker once its resident size passes this, e.g. 512MB (after its jobs finish; at once past twice that).")
    var maxMemory: String?

    @Option(help: "Run this worker at this nice value (0-19): ingest and the broker, on the poll cycle, get a busy host's cores first.")
    var nice: Int32 = 0

    func validate() throws {
        guard WorkerPriority.range.contains(nice) else { throw ValidationError("--nice must be 0...19") }
    }

    func run() async throws {
        // First: threads started from here on inherit it.
        try WorkerPriority.hold(nice)
        var configuration = try common.configuration()
        configuration.concurrency = concurrency
        configuration.jobDeadline = try DurationText.parse(deadline, flag: "deadline")
        if let maxMemory {
            guard let bytes = ByteSize.parse(maxMemory) else { throw ValidationError("--max-memory: not a size: \(maxMemory) (e.g. 512MB)") }
            configuration.maxWorkerMemory = MemoryLimit(bytes: bytes)
        }
        try await runWorker(capacity: concurrency, configuration: configuration, common: common)
    }
}

/// `<bot> sequencer`
struct SequencerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sequencer",
        abstract: "Run the sequencer: serial (shared-state) handlers, one at a time, in update_id order, against the SQLite store, with a transactional outbox.")

    @OptionGroup var common: CommonOptions

    @Option(help: "A handler running longer than this is treated as a crash, e.g. 60s.")
    var deadline = "60s"

    func run() async throws {
        var configuration = try common.configuration()
        configuration.jobDeadline = try DurationText.parse(deadline, flag: "deadline")
        let (logger, client) = bootClientRole("sequencer", configuration: configuration, common: common)
        RoleLifecycle.prepareDataDirectory(configuration.absoluteDataDir, logger: logger)
        let context = ZMQContext()
        let service: SequencerService
        do {
            service = try SequencerService(bot: Roles.bot, configuration: configuration, client: client, context: context, logger: logger)
        } catch {
            // A migration that fails or a store that cannot open is a boot error, not a crash to retry.
            RoleLifecycle.bootFailure("the state store cannot start: \(error)", logger: logger)
        }
        await RoleLifecycle.run(service, after: resources(context: context, client: client),
                                drainDeadline: configuration.drainDeadline, logger: logger)
    }
}

/// What every role that calls the Bot API does first: a logger and the client (no token is a
/// boot error).
private func bootClientRole(_ name: String, configuration: ClusterConfiguration, common: CommonOptions) -> (Logger, BotClient) {
    let logger = common.logger(role: name)
    RoleLifecycle.prepareDataDirectory(configuration.absoluteDataDir, logger: logger)
    do {
        return (logger, try configuration.makeClient(logger: logger))
    } catch {
        RoleLifecycle.bootFailure("\(error)", logger: logger)
    }
}

/// `--register` when polling: Telegram refuses getUpdates while a webhook is set (409), so the
/// poller's process deletes it first, at every start (pending updates are kept).
private func deleteWebhookToPoll(_ client: BotClient, logger: Logger) async {
    do {
        _ = try await client.call(BotMethods.DeleteWebhook())
        logger.info("webhook deleted (polling)")
    } catch {
        logger.warning("deleteWebhook failed; polling anyway", metadata: ["error": "\(error)"])
    }
}

/// The resources of a role that calls the Bot API, closed after the role in reverse order.
private func resources(context: ZMQContext, client: BotClient) -> [ClosingService] {
    [.init("zeromq") { context.close() }, .init("libcurl") { client.shutdown() }]
}

private func runWorker(capacity: Int, configuration: ClusterConfiguration, common: CommonOptions) async throws {
    let (logger, client) = bootClientRole("worker", configuration: configuration, common: common)
    let context = ZMQContext()
    let service: WorkerService
    do {
        service = try WorkerService(bot: Roles.bot, configuration: configuration, capacity: capacity,
                                    client: client, context: context, logger: logger)
    } catch {
        // Keys that do not work, an endpoint that does not parse: restarting will not help.
        RoleLifecycle.bootFailure("\(error)", logger: logger)
    }
    await RoleLifecycle.run(service, after: resources(context: context, client: client),
                            drainDeadline: configuration.drainDeadline, logger: logger)
}

/// `<bot> ingest`
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest",
        abstract: "Run ingest: long-poll getUpdates (or serve the webhook) and hand each update to the broker before confirming it.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var webhook: WebhookOptions

    @Option(name: .customLong("poll-timeout"), help: "getUpdates' long-poll timeout in seconds (0-50).")
    var pollTimeout = 50

    func validate() throws {
        guard (0...50).contains(pollTimeout) else { throw ValidationError("--poll-timeout must be 0...50") }
    }

    func run() async throws {
        var configuration = try common.configuration()
        configuration.pollTimeout = pollTimeout
        let (logger, client) = bootClientRole("ingest", configuration: configuration, common: common)
        let context = ZMQContext()
        let service: any Service
        do {
            if webhook.webhook {
                service = try WebhookIngestService(bot: Roles.bot, configuration: configuration, options: webhook, client: client,
                                                   context: context, logger: logger)
            } else {
                if webhook.register { await deleteWebhookToPoll(client, logger: logger) }
                service = try IngestService(bot: Roles.bot, configuration: configuration, client: client, context: context, logger: logger)
            }
        } catch let error as ConfigurationError {
            RoleLifecycle.bootFailure("\(error)", logger: logger)
        }
        await RoleLifecycle.run(service, after: resources(context: context, client: client),
                                drainDeadline: configuration.drainDeadline, logger: logger)
    }
}

/// `<bot> run`
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run",
        abstract: "Run the whole cluster in the foreground: broker, sequencer, ingest and N workers, supervised.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var webhook: WebhookOptions

    @Option(help: "Ingest processes (several serve one webhook port; polling uses one).")
    var ingests = 1

    @Option(help: "Worker processes.")
    var workers = 2

    @Option(help: "Handlers in flight per worker.")
    var concurrency = 64

    @Option(help: "A handler running longer than this is treated as a crash, e.g. 60s.")
    var deadline = "60s"

    @Option(name: .customLong("poll-timeout"), help: "getUpdates' long-poll timeout in seconds (0-50).")
    var pollTimeout = 50

    @Option(help: "all: every role (the core host); workers: only the worker pool, on another host (needs --connect, --key, --server-key).")
    var role = "all"

    @Option(name: .customLong("max-worker-memory"), help: "Recycle a worker once its resident size passes this, e.g. 512MB (after its jobs finish; at once past twice that).")
    var maxWorkerMemory: String?

    @Option(name: .customLong("worker-nice"), help: "Run the workers at this nice value (0-19), so that ingest and the broker (the poll cycle) get a busy host's cores first; 0: as every other role.")
    var workerNice: Int32 = 0

    @Flag(name: .customLong("ingest-in-broker"), help: "Long-poll in the broker's process instead of an ingest process of its own: no process hop for each batch and its ACK (a crash of either restarts both).")
    var ingestInBroker = false

    func validate() throws {
        guard WorkerPriority.range.contains(workerNice) else { throw ValidationError("--worker-nice must be 0...19") }
        guard ["all", "workers"].contains(role) else { throw ValidationError("--role must be all or workers") }
        if ingestInBroker {
            // A webhook faces the internet: a crash on a request must not take the broker with it.
            guard !webhook.webhook else { throw ValidationError("--ingest-in-broker polls; the webhook runs in ingest processes of its own") }
            guard role == "all" else { throw ValidationError("--ingest-in-broker runs on the core host (--role all)") }
        }
        guard (0...256).contains(workers) else { throw ValidationError("--workers must be 0...256") }
        guard (1...16).contains(ingests) else { throw ValidationError("--ingests must be 1...16") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if let maxWorkerMemory, ByteSize.parse(maxWorkerMemory) == nil {
            throw ValidationError("--max-worker-memory: not a size: \(maxWorkerMemory) (e.g. 512MB)")
        }
    }

    func run() async throws {
        let configuration = try common.configuration()
        _ = try DurationText.parse(deadline, flag: "deadline")
        let logger = common.logger(role: "supervisor")
        RoleLifecycle.prepareDataDirectory(configuration.absoluteDataDir, logger: logger)
        guard configuration.token != nil else {
            logger.critical("\(RoleError.noToken)")
            Foundation.exit(RoleError.bootFailure)
        }
        do {
            // A key that does not work halts here, once, instead of in every child.
            if role == "workers" {
                guard let connect = configuration.connectEndpoint else { throw ConfigurationError("--role workers needs --connect tcp://BROKER:PORT") }
                _ = try LinkSecurity.client(for: connect, configuration, logger: logger)
            } else {
                _ = try LinkSecurity.server(configuration, logger: logger)
            }
        } catch {
            logger.critical("\(error)")
            Foundation.exit(RoleError.bootFailure)
        }
        let base = common.forwarded
        let options = Supervisor.Options(workers: workers, childArguments: [
            "broker": base + (ingestInBroker ? ["--with-ingest", "--poll-timeout", "\(pollTimeout)"] + (webhook.register ? ["--delete-webhook"] : []) : []),
            "sequencer": base + ["--deadline", deadline],
            "worker": base + ["--concurrency", "\(concurrency)", "--deadline", deadline] + (maxWorkerMemory.map { ["--max-memory", $0] } ?? [])
                + (workerNice > 0 ? ["--nice", "\(workerNice)"] : []),
            "ingest": base + ["--poll-timeout", "\(pollTimeout)"] + webhook.forwarded,
        ])
        var supervised = options
        supervised.ingests = ingestInBroker ? 0 : webhook.webhook ? ingests : 1
        supervised.workersOnly = role == "workers"
        let supervisor = Supervisor(configuration: configuration, options: supervised, logger: logger)
        let group = ServiceGroup(services: [supervisor], gracefulShutdownSignals: Supervisor.stopSignals, logger: logger)
        try? await group.run()
        Foundation.exit(supervisor.exitCode)
    }
}
