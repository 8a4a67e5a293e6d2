import BotAPI
import Foundation
import Locking
import Synchronization

/// A multi-step dialogue declared as states, each with its own handlers (python-telegram-bot's
/// `ConversationHandler`, aiogram's FSM): entry points start it, the current state's handlers
/// (then the fallbacks) take the next update of its key, and each step answers where it goes.
///
/// ```swift
/// enum Signup: String { case name, age }
/// let signup = ConversationHandler<Signup>("signup", timeout: .seconds(300))
/// signup.entry(.command("signup")) { ctx, _ in try await ctx.reply("Your name?"); return .next(.name) }
/// signup.on(.name, .text && !.command) { ctx, talk in talk["name"] = ctx.text; try await ctx.reply("Your age?"); return .next(.age) }
/// signup.on(.age, .text(matching: "^[0-9]+$")) { ctx, talk in try await ctx.reply("Thanks, \(talk["name"] ?? "")!"); return .end }
/// signup.fallback(.command("cancel")) { ctx, _ in try await ctx.reply("Cancelled."); return .end }
/// bot.add(signup)
/// ```
///
/// A conversation runs in the sequencer: its state and values are rows of the store, written
/// in the same transaction as the update and whatever else its step writes, so they survive
/// restarts and a step that throws leaves the conversation where it was. The broker sends it
/// every update one of its filters accepts; an update its current state does not want (or, with
/// no conversation going on, no entry point wants) goes on to the next handler that matches, as
/// if the conversation were not there — in the same transaction when that handler is serial,
/// after the commit in the chat's order when it is concurrent.
public final class ConversationHandler<State: RawRepresentable & Hashable & Sendable>: Sendable where State.RawValue == String {
    /// A step: the update's context and this key's dialogue in, the transition out.
    public typealias Step = @Sendable (Context, Dialogue<State>) async throws -> Transition<State>

    /// A step, or a nested conversation: nil when it does not take the update after all (a
    /// nested conversation whose current state does not want it), so the next route may.
    typealias Run = @Sendable (Context, Dialogue<State>) async throws -> Transition<State>?

    struct Route: Sendable {
        var filter: Filter
        var run: Run

        init(filter: Filter, step: @escaping Step) {
            self.filter = filter
            run = { ctx, dialogue in try await step(ctx, dialogue) }
        }

        init(filter: Filter, run: @escaping Run) {
            self.filter = filter
            self.run = run
        }
    }

    /// What one update did to this conversation (`handle`): a nested conversation tells its
    /// parent whether it is still going on.
    enum Outcome: Sendable {
        /// No route took it.
        case declined
        case continuing
        /// The dialogue ended, with these values.
        case ended([String: String])
    }

    struct Routes: Sendable {
        var entries: [Route] = []
        var states: [State: [Route]] = [:]
        var stateOrder: [State] = []
        var fallbacks: [Route] = []
        var timeoutHandler: (@Sendable (Context, Dialogue<State>) async throws -> Void)?
        /// The conversations nested in each state: forgotten when the parent leaves the state.
        var children: [State: [NestedConversation]] = [:]
        var frozen = false
    }

    public let name: String
    public let key: ConversationKey
    /// A conversation left alone this long is over: the next update finds none going on.
    public let timeout: Duration?
    /// Whether an entry point restarts a conversation already going on (python-telegram-bot's
    /// `allow_reentry`); by default the current state's handlers and the fallbacks alone apply.
    public let allowsReentry: Bool
    private let routes = Mutex(Routes())

    public init(_ name: String, key: ConversationKey = .chatAndUser, timeout: Duration? = nil, allowsReentry: Bool = false) {
        self.name = name
        self.key = key
        self.timeout = timeout
        self.allowsReentry = allowsReentry
    }

    /// An update `filter` accepts starts the conversation (when none is going on for its key).
    public func entry(_ filter: Filter, _ step: @escaping Step) {
        add { $0.entries.append(Route(filter: filter, step: step)) }
    }

    /// In `state`, an update `filter` accepts goes to `step` (the first match in order wins).
    public func on(_ state: State, _ filter: Filter, _ step: @escaping Step) {
        add { r in
            if r.states[state] == nil { r.stateOrder.append(state) }
            r.states[state, default: []].append(Route(filter: filter, step: step))
        }
    }

    /// In `state`, a conversation of its own (python-telegram-bot's nested `ConversationHandler`):
    /// its entry points start it while this one is in `state`, then it takes the updates its
    /// states want, in this conversation's place; when it ends, `whenDone` says where this
    /// one goes (its `map_to_parent`), given the values the nested one collected. If this
    /// conversation leaves `state` by another way (a fallback), the nested one is forgotten.
    ///
    /// ```swift
    /// let member = ConversationHandler<MemberStep>("member")
    /// member.entry(.callbackData("add")) { ctx, _ in try await ctx.edit("Name?"); return .next(.name) }
    /// member.on(.name, .plainText) { ctx, talk in talk["name"] = ctx.text; try await ctx.reply("Saved."); return .end }
    /// family.on(.choosing, member) { ctx, _, added in
    ///     try await ctx.reply("Added \(added["name"] ?? "someone"). Anyone else?")
    ///     return .next(.choosing)
    /// }
    /// ```
    ///
    /// A nested conversation is declared complete before it is nested, and nested once.
    public func on<Child>(_ state: State, _ child: ConversationHandler<Child>,
                          whenDone: @escaping @Sendable (Context, Dialogue<State>, Dialogue<Child>) async throws -> Transition<State>) {
        let nested = NestedConversation(child)
        let run: Run = { ctx, dialogue in
            switch try await child.handle(ctx) {
            case .declined: return nil
            case .continuing: return .stay
            case .ended(let values): return try await whenDone(ctx, dialogue, Dialogue(state: nil, values: values))
            }
        }
        add { r in
            if r.states[state] == nil { r.stateOrder.append(state) }
            r.states[state, default: []].append(Route(filter: nested.filter, run: run))
            r.children[state, default: []].append(nested)
        }
    }

    /// Tried in every state after the state's own handlers (`/cancel`).
    public func fallback(_ filter: Filter, _ step: @escaping Step) {
        add { $0.fallbacks.append(Route(filter: filter, step: step)) }
    }

    /// Runs when the conversation's timeout passes with no step (python-telegram-bot's
    /// `TIMEOUT` state): in the sequencer, on time, with the context of the update that last
    /// moved the conversation (so `ctx.reply` goes to its chat) and the values collected. The
    /// conversation is over whatever the handler does.
    public func onTimeout(_ body: @escaping @Sendable (Context, Dialogue<State>) async throws -> Void) {
        add { $0.timeoutHandler = body }
    }

    private func add(_ change: (inout Routes) -> Void) {
        routes.locked { r in
            precondition(!r.frozen, "conversation \(name): declare every handler before bot.add")
            change(&r)
        }
    }

    // MARK: - Used by Bot.add

    /// Freezes the table and answers what the broker needs: every update any handler could
    /// take, and a label naming the whole structure (part of the bot's fingerprint).
    func freeze() -> Filter {
        routes.locked { r in
            r.frozen = true
            let all = r.entries + r.stateOrder.flatMap { r.states[$0] ?? [] } + r.fallbacks
            let keyed = Filter("key \(key.rawValue)") { [key] raw in key.key(for: raw) != nil }
            let states = r.stateOrder.map { s in "\(s.rawValue): \((r.states[s] ?? []).map(\.filter.label).joined(separator: " | "))" }
            let label = "conversation \(name) key=\(key.rawValue) timeout=\(timeout.map { "\($0)" } ?? "none") reentry=\(allowsReentry) "
                + "entries [\(r.entries.map(\.filter.label).joined(separator: " | "))] states [\(states.joined(separator: "; "))] "
                + "fallbacks [\(r.fallbacks.map(\.filter.label).joined(separator: " | "))]"
            let union = Filter.any(of: all.map(\.filter)) && keyed
            return Filter(label, kinds: union.kinds, union.test)
        }
    }

    /// The conversations nested in this one, at any depth (the bot registers their timeouts).
    var descendants: [NestedConversation] {
        children.flatMap { [$0] + $0.descendants() }
    }

    /// The conversations nested in this one's states.
    private var children: [NestedConversation] {
        routes.locked { r in r.children.values.flatMap { $0 } }
    }

    /// The deadline passed (the row is already gone): the timeout handler, if any.
    func expire(_ ctx: Context, _ record: DialogueRecord) async throws {
        // The conversations nested in it are over too.
        for child in children { try child.forget(ctx) }
        guard let handler = routes.locked({ $0.timeoutHandler }) else { return }
        try await handler(ctx, Dialogue(state: State(rawValue: record.state), values: record.data))
    }

    /// Runs the step the update's key and state choose, and stores where it goes; an update no
    /// step wants goes to `passOn`.
    func dispatch(_ ctx: Context, passOn: (Context) async throws -> Void) async throws {
        if case .declined = try await handle(ctx) { try await passOn(ctx) }
    }

    /// The step the update's key and state choose, run, and where it goes stored; what it did.
    func handle(_ ctx: Context) async throws -> Outcome {
        guard let key = key.key(for: ctx.raw) else { return .declined }
        let now = Date()
        var record = try ctx.effects.dialogue(name, key: key)
        if let r = record, let expires = r.expiresAt, expires <= now {
            ctx.logger.debug("conversation timed out", metadata: ["conversation": "\(name)", "state": "\(r.state)"])
            try forget(ctx)
            record = nil
        }
        let current = record.flatMap { State(rawValue: $0.state) }
        if let record, current == nil {
            ctx.logger.warning("a stored conversation state the bot no longer declares; starting over",
                               metadata: ["conversation": "\(name)", "state": "\(record.state)"])
        }
        let table = routes.locked { $0 }
        var candidates = current.map { (table.states[$0] ?? []) + table.fallbacks } ?? table.entries
        if current != nil && allowsReentry { candidates = table.entries + candidates }
        let dialogue = Dialogue(state: current, values: current == nil ? [:] : record?.data ?? [:])
        var transition: Transition<State>?
        for route in candidates where route.filter.matches(ctx.raw) {
            transition = try await route.run(ctx, dialogue)
            if transition != nil { break }
        }
        guard let transition else { return .declined }
        let next: State?
        switch transition {
        case .next(let state): next = state
        case .stay: next = current
        case .end: next = nil
        }
        if let current, next != current {
            // Left the state: the conversations nested in it are over.
            for child in table.children[current] ?? [] { try child.forget(ctx) }
        }
        let stored = next.map {
            DialogueRecord(state: $0.rawValue, data: dialogue.all, expiresAt: timeout.map { now.addingTimeInterval($0.seconds) },
                           lastUpdate: ctx.raw.bytes)
        }
        try ctx.effects.setDialogue(stored, name: name, key: key)
        return next == nil ? .ended(dialogue.all) : .continuing
    }

    /// Forgets this key's dialogue, and those of the conversations nested in it.
    func forget(_ ctx: Context) throws {
        guard let key = key.key(for: ctx.raw) else { return }
        try ctx.effects.setDialogue(nil, name: name, key: key)
        for child in children { try child.forget(ctx) }
    }
}
