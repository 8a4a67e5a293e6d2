/// Composes middlewares around a handler: the first of the list outermost.
enum Middlewares {
    static func wrap(_ handler: @escaping Bot.Handler, in middlewares: [Bot.Middleware]) -> Bot.Handler {
        middlewares.reversed().reduce(handler) { next, middleware in
            { ctx in try await middleware(ctx, next) }
        }
    }
}
