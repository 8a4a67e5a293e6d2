import Bus
import Foundation
import Logging
import Locking
import Synchronization
import Wire

/// The I/O shell around `PeerSession` that worker and sequencer share: a DEALER to the
/// broker's worker endpoint on its own bus thread, which sends the heartbeats, decodes frames,
/// feeds the session and runs its clock. The role sees only the frames meant for it
/// (`onFrame`), the broker's restarts (`onBrokerForgot`) and its silence (`onBrokerSilent`).
final class PeerLink: Sendable {
    private let bus: BusLoop
    private let session: Mutex<PeerSession>
    private let stalls: Mutex<StallMeter>
    private let liveness: Duration
    private let logger: Logger
    /// What the jobs the bus thread is running send (a worker's DONEs as they finish), written
    /// into one BUNDLE and sent when they have run (`BusLoop`'s `jobsEnd`): no message made per
    /// frame and packed again by the bus (~1,600 instructions a job, `scripts/bench
    /// instructions`). Touched on the bus thread only; the lock is for the compiler.
    private let bundles = Mutex(PeerBundles())

    /// What the role is told, all called on the bus thread.
    struct Callbacks: Sendable {
        var onFrame: @Sendable (Frame) -> Void = { _ in }
        var onBrokerForgot: @Sendable () -> Void = {}
        var onBrokerSilent: @Sendable () -> Void = {}
    }

    /// With CURVE (`security`, a worker host's link), ZMTP heartbeats close a connection whose
    /// peer went silent, so the redial starts in seconds.
    init(ready: Ready, endpoint: String, security: ZMQSecurity = .none, configuration: PeerSession.Configuration,
         context: ZMQContext, logger: Logger) throws {
        self.logger = logger
        session = Mutex(PeerSession(ready: ready, configuration: configuration, now: .now))
        stalls = Mutex(StallMeter(interval: configuration.heartbeat, start: .now))
        liveness = configuration.heartbeat * configuration.liveness
        let identity = "\(ready.role.name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let deadPeers = endpoint.hasPrefix("tcp://") ? LinkSecurity.deadPeerInterval(heartbeat: configuration.heartbeat) : nil
        // The session's clock ticks on the bus thread too: however busy Swift's pool is with
        // handlers, the broker's silence is noticed on time.
        bus = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: identity, connect: [endpoint], security: security,
                                                            deadPeerInterval: deadPeers, bundling: .frames)],
                          tick: configuration.heartbeat,
                          heartbeat: .init(socket: 0, frames: Frame.heartbeat.encoded(), interval: configuration.heartbeat),
                          inline: true)
    }

    /// Says READY and starts reading. The callbacks run on the bus thread, in arrival order,
    /// and must only hand work over (start a task, resume a continuation, queue it).
    func start(onFrame: @escaping @Sendable (Frame) -> Void, onBrokerForgot: @escaping @Sendable () -> Void = {},
               onBrokerSilent: @escaping @Sendable () -> Void = {}) {
        let callbacks = Callbacks(onFrame: onFrame, onBrokerForgot: onBrokerForgot, onBrokerSilent: onBrokerSilent)
        perform(session.locked { $0.start(now: .now) }, callbacks)
        bus.attach({ [self] message in
            if message.isTick {
                let now = ContinuousClock.now
                if let gap = stalls.locked({ $0.tick(now: now) }) { reportStall(gap) }
                perform(session.locked { $0.tick(now: now) }, callbacks)
                return
            }
            let frame: Frame
            do {
                frame = try Frame.decode(message.frames)
            } catch {
                logger.warning("dropped a frame that does not parse", metadata: ["error": "\(error)"])
                return
            }
            perform(session.locked { $0.received(frame, now: .now) }, callbacks) { callbacks.onFrame(frame) }
        }, jobsEnd: { [self] in
            for message in bundles.locked({ $0.isEmpty ? [] : $0.take() }) { bus.send(message.frames, on: message.socket) }
        })
    }

    /// Sends `frame` to the broker, in order with this thread's other frames: from a job the bus
    /// thread runs, into the jobs' bundle (sent when they have run, before anything else this
    /// thread sends); from anywhere else, at once.
    func send(_ frame: Frame) {
        if bus.runsJobsHere {
            bundles.locked { $0.append(frame, socket: 0) }
        } else {
            bus.send(frame.encoded(), on: 0)
        }
    }

    /// The bus thread as a task executor (see `BusLoop`'s): where a worker runs its jobs when
    /// the bot asks for it (`Bot.WorkerThreads.eventLoop`).
    var executor: any TaskExecutor { bus }

    /// Polls `guest`'s descriptor with the link's sockets (see `BusLoop.host`).
    func host(_ guest: any BusGuest) {
        bus.host(guest)
    }

    /// DISCONNECT: the broker sends nothing more; READY is not said again.
    func drain() {
        perform(session.locked { $0.drain(now: .now) }, Callbacks())
    }

    /// After `drain`: the broker will give this peer nothing more (see `PeerSession.released`).
    func released(now: ContinuousClock.Instant = .now) -> Bool {
        session.locked { $0.released(now: now) }
    }

    /// Stops reading and closes the socket (after what is queued, within LINGER).
    func close() {
        bus.shutdown()
    }

    private func reportStall(_ gap: Duration) {
        let ms = Int(gap / .milliseconds(1)), limit = Int(liveness / .milliseconds(1))
        logger.warning("""
            the bus thread did not turn for \(ms) ms: nothing was read or sent meanwhile, heartbeats included \
            (a handler computing on it, with Bot.workerThreads = .eventLoop, or a stalled host); \
            past \(limit) ms the broker takes this process for dead
            """, metadata: ["stalled_ms": "\(ms)"])
    }

    /// Carries out the session's actions; `.deliver` calls `deliver`, which hands the frame the
    /// session was given to the role (borrowed where it lies: no copy of it per frame).
    private func perform(_ actions: [PeerSession.Action], _ callbacks: Callbacks, deliver: () -> Void = {}) {
        for action in actions {
            switch action {
            case .send(let frame):
                if case .ready = frame { logger.debug("saying READY") }
                send(frame)
            case .brokerForgot:
                callbacks.onBrokerForgot()
            case .brokerSilent:
                callbacks.onBrokerSilent()
            case .deliver:
                deliver()
            case .refused(let reason):
                logger.critical("the broker refused this process", metadata: ["reason": "\(reason)"])
                exit(RoleError.bootFailure)
            }
        }
    }
}
