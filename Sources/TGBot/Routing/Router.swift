import Locking
import Synchronization

/// A part of a bot's handler table, declared on its own (aiogram's `Router`): a feature's
/// handlers in the feature's file, behind a filter and middlewares of their own, included into
/// the bot in one place. The order of the table is the order of `include` calls and, within a
/// router, of its handlers and the routers it includes.
///
/// ```swift
/// // Admin.swift
/// let admin = Router("admin", filter: .users(42, 43))
/// admin.onCommand("stats") { ctx in /* … */ }
/// admin.use { ctx, next in ctx.logger.notice("admin command"); try await next(ctx) }
///
/// // main.swift
/// bot.include(admin)          // before the handlers that would take the same updates
/// bot.include(games)
/// ```
///
/// An update the router's filter refuses goes on to the handlers after it, as if the router
/// were not there. Each handler's label names its router, so the fingerprint sees the layout.
public final class Router: HandlerRegistry {
    private enum Item: Sendable {
        case handler(HandlerEntry)
        case router(Router)
    }

    public let name: String
    public let filter: Filter?
    private let items = Mutex<[Item]>([])
    private let middlewares = Mutex<[Bot.Middleware]>([])

    public init(_ name: String, filter: Filter? = nil) {
        self.name = name
        self.filter = filter
    }

    public func add(_ entry: HandlerEntry) {
        items.locked { $0.append(.handler(entry)) }
    }

    /// A router inside this one: behind this router's filter and middlewares too.
    public func include(_ router: Router) {
        precondition(router !== self, "a router cannot include itself")
        items.locked { $0.append(.router(router)) }
    }

    /// Wraps this router's handlers (inside the bot's middlewares, outside its handlers').
    public func use(_ middleware: @escaping Bot.Middleware) {
        middlewares.locked { $0.append(middleware) }
    }

    /// The handlers as the bot's table gets them: each behind this router's filter, wrapped in
    /// its middlewares (a two-step handler's first step), labelled with its name.
    func flattened() -> [HandlerEntry] {
        let (items, middlewares) = (self.items.locked { $0 }, self.middlewares.locked { $0 })
        return items.flatMap { item -> [HandlerEntry] in
            let inner: [HandlerEntry]
            switch item {
            case .handler(let entry): inner = [entry]
            case .router(let router): inner = router.flattened()
            }
            return inner.map { entry in
                let filter = self.filter.map { $0 && entry.filter } ?? entry.filter
                var wrapped = entry
                wrapped.filter = Filter("router \(name): \(filter.label)", kinds: filter.kinds, filter.test)
                wrapped.handler = Middlewares.wrap(entry.handler, in: middlewares)
                return wrapped
            }
        }
    }
}
