/// Composes middlewares around a handler: the first of the list outermost.
enum Middlewares {
    static func wrap(_ handler: @escaping Bot.Handler, in middlewares: [Bot.Middleware]) -> Bot.Handler {
        // Without middlewares, the handler itself: through `reduce` it came back in a
        // reabstraction thunk allocated per update, and every call went through it.
        guard !middlewares.isEmpty else { return handler }
        return middlewares.reversed().reduce(handler) { next, middleware in
            { ctx in try await middleware(ctx, next) }
        }
    }
}
