import Foundation

/// Every place where bytes from outside a process become values, as a function libFuzzer can
/// drive (`scripts/fuzz`) and the test suite replays (`FuzzRegressionTests`, over the committed
/// corpora in `Fuzz/Corpus/<name>/`).
///
/// A target must return for any input; an error is an answer, a trap is a bug. Where a parser
/// has a second way to say the same thing (an encoder, a second entry point, another parser of
/// the same language), the target also checks that the two agree, so the fuzzer finds wrong
/// answers and not only crashes.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `getUpdates` responses and webhook bodies through `UpdateScanner`.
    case updateScanner = "update-scanner"
    /// Any JSON value through `JSONScanner` (checked against Foundation's parser) and
    /// `JSONFields` (the emulator's and the client's flat objects).
    case json
    /// The cluster protocol's multipart messages through `Frame.decode`.
    case frame
    /// A journal segment through `JournalReader` (torn tails, corruption in the middle).
    case journal
    /// A webhook request's head through `WebhookPolicy`, its body through the scanner.
    case webhook
    /// `--flood` values through `FloodLimits.parse`.
    case floodLimits = "flood-limits"
    /// Cron expressions through `CronExpression` and its next firing.
    case cron
    /// The emulator's request parameters (query, form, JSON, multipart) through `BotParams`.
    case simParams = "sim-params"
    /// A Bot API server's answer through `HTTPResponseParser` (the plain-HTTP client).
    case httpResponse = "http-response"

    /// Runs one input; traps (precondition) only when an invariant of the parser breaks.
    package func run(_ data: Data) {
        switch self {
        case .updateScanner: Self.updateScanner(data)
        case .json: Self.json(data)
        case .frame: Self.frame(data)
        case .journal: Self.journal(data)
        case .webhook: Self.webhook(data)
        case .floodLimits: Self.floodLimits(data)
        case .cron: Self.cron(data)
        case .simParams: Self.simParams(data)
        case .httpResponse: Self.httpResponse(data)
        }
    }
}
