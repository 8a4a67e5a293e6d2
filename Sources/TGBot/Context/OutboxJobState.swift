import Foundation

/// Where an outbox job stands, for a later serial handler (`Context.outboxJob`).
public enum OutboxJobState: Sendable, Equatable {
    case pending
    case finished(Data)
    case failed(String)
}
