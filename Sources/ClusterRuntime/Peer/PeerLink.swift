import Bus
import Foundation
import Logging
import Synchronization
import Wire

/// The I/O shell around `PeerSession` that worker and sequencer share: a DEALER to the
/// broker's worker endpoint on its own bus thread (which also sends the heartbeats, decodes
/// frames and feeds the session), and a clock task. The role sees only the frames
/// meant for it (`onFrame`) and the broker's restarts (`onBrokerForgot`).
final class PeerLink: Sendable {
    private let bus: BusLoop
    private let session: Mutex<PeerSession>
    private let logger: Logger
    private let heartbeat: Duration
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let onBrokerSilent = Mutex<@Sendable () -> Void>({})

    /// With CURVE (`security`, a worker host's link), ZMTP heartbeats close a connection whose
    /// peer went silent, so the redial starts in seconds.
    init(ready: Ready, endpoint: String, security: ZMQSecurity = .none, configuration: PeerSession.Configuration,
         context: ZMQContext, logger: Logger) throws {
        self.logger = logger
        heartbeat = configuration.heartbeat
        session = Mutex(PeerSession(ready: ready, configuration: configuration, now: .now))
        let identity = "\(ready.role.name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let deadPeers = endpoint.hasPrefix("tcp://") ? LinkSecurity.deadPeerInterval(heartbeat: configuration.heartbeat) : nil
        bus = try BusLoop(context: context, sockets: [.init(kind: .dealer, identity: identity, connect: [endpoint], security: security,
                                                            deadPeerInterval: deadPeers)],
                          heartbeat: .init(socket: 0, frames: Frame.heartbeat.encoded(), interval: configuration.heartbeat),
                          inline: true)
    }

    /// Says READY and starts reading; `onFrame` runs on the bus thread, in arrival order, and
    /// must only hand the frame over (start a task, resume a continuation, queue it).
    func start(onFrame: @escaping @Sendable (Frame) -> Void, onBrokerForgot: @escaping @Sendable () -> Void = {},
               onBrokerSilent: @escaping @Sendable () -> Void = {}) {
        self.onBrokerSilent.withLock { $0 = onBrokerSilent }
        perform(session.withLock { $0.start(now: .now) }, onFrame: onFrame, onBrokerForgot: onBrokerForgot)
        // Frames are decoded and fed to the session on the bus thread itself (no hop per
        // frame); `onFrame` only hands work over, so the thread is never held up.
        bus.attach { [self] message in
            guard !message.isTick else { return }
            let frame: Frame
            do {
                frame = try Frame.decode(message.frames)
            } catch {
                logger.warning("dropped a frame that does not parse", metadata: ["error": "\(error)"])
                return
            }
            perform(session.withLock { $0.received(frame, now: .now) }, onFrame: onFrame, onBrokerForgot: onBrokerForgot)
        }
        let clock = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeat)
                perform(session.withLock { $0.tick(now: .now) }, onFrame: onFrame, onBrokerForgot: onBrokerForgot)
            }
        }
        tasks.withLock { $0 = [clock] }
    }

    func send(_ frame: Frame) {
        bus.send(frame.encoded(), on: 0)
    }

    /// DISCONNECT: the broker sends nothing more; READY is not said again.
    func drain() {
        perform(session.withLock { $0.drain() }, onFrame: { _ in }, onBrokerForgot: {})
    }

    /// Stops reading and closes the socket (after what is queued, within LINGER).
    func close() {
        tasks.withLock { $0.forEach { $0.cancel() } }
        bus.shutdown()
    }

    private func perform(_ actions: [PeerSession.Action], onFrame: (Frame) -> Void, onBrokerForgot: () -> Void) {
        for action in actions {
            switch action {
            case .send(let frame):
                if case .ready = frame { logger.debug("saying READY") }
                send(frame)
            case .brokerForgot:
                onBrokerForgot()
            case .brokerSilent:
                onBrokerSilent.withLock { $0 }()
            case .deliver(let frame):
                onFrame(frame)
            case .refused(let reason):
                logger.critical("the broker refused this process", metadata: ["reason": "\(reason)"])
                exit(RoleError.bootFailure)
            }
        }
    }
}
