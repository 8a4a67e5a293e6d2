import NIOCore

/// The I/O shell of `WebhookDeadlines`: first in a webhook connection's pipeline (it sees the
/// socket's bytes, before TLS and HTTP), told by `WebhookHandler` when a request is whole and
/// when its answer is written (outbound user events), closing the connection at the deadline.
final class WebhookDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent by the webhook's handler towards the socket.
    enum Event: Sendable {
        case requestComplete
        case responded
    }

    private var deadlines: WebhookDeadlines
    private var timer: Scheduled<Void>?

    init(limits: WebhookDeadlines.Limits) {
        deadlines = WebhookDeadlines(limits: limits, openedAt: .now)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        arm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let before = deadlines
        deadlines.received(now: .now)
        if deadlines != before { arm(context) }
        context.fireChannelRead(data)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let event = event as? Event else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        switch event {
        case .requestComplete: deadlines.requestComplete()
        case .responded: deadlines.responded(now: .now)
        }
        arm(context)
        promise?.succeed()
    }

    private func arm(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        guard let deadline = deadlines.deadline else { return }
        let wait = deadline - .now
        let nanoseconds = wait.components.seconds * 1_000_000_000 + wait.components.attoseconds / 1_000_000_000
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(max(0, nanoseconds))) {
            let (handler, context) = bound.value
            if handler.deadlines.expired(now: .now) {
                context.close(promise: nil)
            } else {
                handler.arm(context)
            }
        }
    }
}
