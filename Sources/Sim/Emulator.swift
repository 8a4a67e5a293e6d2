import BotAPI
import Foundation
import NIOCore
import Locking
import Synchronization

/// The Bot API emulator's logic, without HTTP: Bot API calls in, results out; updates injected
/// by tests; webhook delivery. `SimServer` puts it on a port.
public final class Emulator: Sendable {
    let state: Mutex<SimState>
    let webhook: WebhookDelivery

    public init(configuration: SimConfiguration) {
        state = Mutex(SimState(configuration: configuration))
        webhook = WebhookDelivery()
        webhook.emulator = self
    }

    public var configuration: SimConfiguration {
        get { state.locked { $0.configuration } }
    }

    /// Changes the runtime configuration (latency, faults, flood mode).
    public func reconfigure(_ change: (inout SimConfiguration) -> Void) {
        state.locked { s in
            change(&s.configuration)
            s.flood.limits = s.configuration.floodLimits
        }
    }

    /// Stops background work (webhook delivery); call before the process ends.
    public func shutdown() {
        webhook.shutdown()
    }

    // MARK: - Bot API

    /// Whether `token` may call this emulator.
    func accepts(token: String) -> Bool {
        if let only = state.locked({ $0.configuration.token }) { return token == only }
        // Telegram's shape: <bot id>:<secret>.
        let parts = token.split(separator: ":", maxSplits: 1)
        return parts.count == 2 && Int64(parts[0]) != nil && !parts[1].isEmpty
            && parts[1].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    /// Runs one Bot API call; `loop` completes long polls. `client` is the caller's address,
    /// kept in the transcript (`from`): which host made a call.
    func call(method rawMethod: String, token: String, params: BotParams, client: String? = nil, on loop: any EventLoop) -> EventLoopFuture<APIResult> {
        let method = rawMethod.lowercased()
        if method == "getupdates" {
            return getUpdates(params, on: loop)
        }
        return loop.makeSucceededFuture(execute(method: rawMethod, token: token, params: params, client: client))
    }

    /// Runs a call that completes at once (anything but getUpdates), counting and recording it.
    func execute(method rawMethod: String, token: String, params: BotParams, client: String? = nil) -> APIResult {
        let method = rawMethod.lowercased()
        let result = state.locked { s -> APIResult in
            let result: APIResult
            do throws(APIError) {
                result = try s.dispatch(method: method, params: params, token: token)
            } catch {
                result = .error(error)
            }
            s.stats.requests += 1
            s.stats.byMethod[Self.canonicalName(rawMethod), default: 0] += 1
            s.stats.byStatus[result.status, default: 0] += 1
            if method != "getwebhookinfo" {
                var description: String?
                if case .error(let e) = result { description = e.description }
                s.record(method: Self.canonicalName(rawMethod), params: params, ok: result.isOK,
                         errorCode: result.isOK ? nil : result.status, description: description, client: client)
            }
            return result
        }
        if method == "setwebhook" || method == "deletewebhook" {
            webhook.pump()
        }
        return result
    }

    static let canonicalNames: [String: String] = Dictionary(
        uniqueKeysWithValues: BotAPISpec.methodNames.map { ($0.lowercased(), $0) })

    /// The spec's spelling of a method name sent in any case.
    static func canonicalName(_ name: String) -> String {
        canonicalNames[name.lowercased()] ?? name
    }

    // MARK: - getUpdates

    private func getUpdates(_ p: BotParams, on loop: any EventLoop) -> EventLoopFuture<APIResult> {
        let promise = loop.makePromise(of: APIResult.self)
        let (immediate, terminated): (APIResult?, EventLoopPromise<APIResult>?) = state.locked { s in
            s.stats.requests += 1
            s.stats.byMethod["getUpdates", default: 0] += 1
            do throws(APIError) {
                if s.webhook != nil {
                    throw APIError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
                }
                let offset = try p.int64("offset") ?? 0
                let limit = min(100, max(1, try p.int("limit") ?? 100))
                let timeout = min(50, max(0, try p.int("timeout") ?? 0))
                s.applyAllowed(try p.decode([String].self, "allowed_updates"))
                s.updates.apply(offset: offset)
                if s.updates.count > 0 || timeout == 0 {
                    let batch = s.updates.peek(limit: limit)
                    s.stats.updatesDelivered += batch.count
                    return (s.updatesAnswer(batch), nil)
                }
                // Park: only one long poll per bot; a newer one ends the older with 409.
                let old = s.parked.map { old -> EventLoopPromise<APIResult> in
                    old.timeout?.cancel()
                    return old.promise
                }
                s.nextPollID += 1
                let id = s.nextPollID
                let scheduled = loop.scheduleTask(in: .seconds(Int64(timeout))) { [weak self] () -> Void in
                    self?.finishPoll(id: id)
                }
                s.parked = SimState.ParkedPoll(id: id, limit: limit, promise: promise, timeout: scheduled)
                return (nil, old)
            } catch {
                return (.error(error), nil)
            }
        }
        terminated?.succeed(.error(APIError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")))
        if let immediate {
            state.locked { $0.stats.byStatus[immediate.status, default: 0] += 1 }
            promise.succeed(immediate)
        }
        return promise.futureResult
    }

    /// Answers the parked poll `id` (if it is still parked) with what is pending.
    private func finishPoll(id: UInt64) {
        let answer: (EventLoopPromise<APIResult>, APIResult)? = state.locked { s in
            guard let parked = s.parked, parked.id == id else { return nil }
            s.parked = nil
            parked.timeout?.cancel()
            let batch = s.updates.peek(limit: parked.limit)
            s.stats.updatesDelivered += batch.count
            s.stats.byStatus[200, default: 0] += 1
            return (parked.promise, s.updatesAnswer(batch))
        }
        if let (promise, result) = answer { promise.succeed(result) }
    }

    /// New updates: wake the parked poll after Telegram's short batching delay, or the webhook.
    func updatesArrived() {
        let parked: (UInt64, any EventLoop)? = state.locked { s in
            s.parked.map { ($0.id, $0.promise.futureResult.eventLoop) }
        }
        if let (id, loop) = parked {
            loop.scheduleTask(in: .milliseconds(1)) { [weak self] () -> Void in self?.finishPoll(id: id) }
        }
        webhook.pump()
    }
}
