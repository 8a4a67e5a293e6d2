import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// How every role process lives, on swift-service-lifecycle: the resources first, the role
/// last, in one `ServiceGroup`; SIGTERM and SIGINT (and the supervisor's death, through
/// `ParentWatch`) start a graceful shutdown in reverse order: the role drains, then the
/// resources close. A `RoleError` out of the role is a boot error: exit 78, which the supervisor
/// does not restart. The group is only the frame: the hot path runs on the bus threads and the
/// roles' own tasks, never through it.
enum RoleLifecycle {
    /// The signals that stop a role gracefully.
    static let stopSignals: [UnixSignal] = [.sigterm, .sigint]

    /// Runs `role` after `resources`; returns when all have stopped.
    static func run(_ role: any Service, after resources: [ClosingService], drainDeadline: Duration, logger: Logger) async {
        await run([role], after: resources, drainDeadline: drainDeadline, logger: logger)
    }

    /// Runs `roles` in order after `resources` (a broker with its ingest): stopped in reverse.
    static func run(_ roles: [any Service], after resources: [ClosingService], drainDeadline: Duration, logger: Logger) async {
        ParentWatch.start(grace: drainDeadline)
        let group = ServiceGroup(services: resources + roles, gracefulShutdownSignals: stopSignals, logger: logger)
        do {
            try await group.run()
        } catch let error as RoleError {
            logger.critical("\(error)")
            Foundation.exit(RoleError.bootFailure)
        } catch {
            logger.error("stopped on an error", metadata: ["error": "\(error)"])
            Foundation.exit(1)
        }
    }

    /// Creates the data directory private, or makes an old one private; one that another user
    /// owns and others can read is a boot error.
    static func prepareDataDirectory(_ path: String, logger: Logger) {
        do {
            let fixed = try DataDirectory.prepare(path)
            if !fixed.isEmpty {
                logger.warning("the data directory was open to other users; made it and what it holds private",
                               metadata: ["path": "\(path)", "changed": "\(fixed.count)"])
            }
        } catch {
            bootFailure("\(error)", logger: logger)
        }
    }

    /// Boot errors before the group runs (a store that cannot open, no token): exit 78.
    static func bootFailure(_ message: String, logger: Logger) -> Never {
        logger.critical("\(message)")
        Foundation.exit(RoleError.bootFailure)
    }
}
