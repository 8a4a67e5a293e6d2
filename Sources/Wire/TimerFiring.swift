import Foundation

/// One run of a scheduled job, recorded by the sequencer and run by the pool's timer callback.
public struct TimerFiring: Sendable, Equatable, Codable {
    public var scheduleID: Int64
    public var name: String
    /// The bot's timer callback (`bot.timer(name)`).
    public var callback: String
    /// The callback's payload (JSON, as the job was scheduled with).
    public var payload: Data
    public var chatID: Int64?
    public var userID: Int64?
    /// When this run was due (Unix seconds).
    public var scheduledFor: Double

    public init(scheduleID: Int64, name: String, callback: String, payload: Data, chatID: Int64?, userID: Int64?, scheduledFor: Double) {
        self.scheduleID = scheduleID
        self.name = name
        self.callback = callback
        self.payload = payload
        self.chatID = chatID
        self.userID = userID
        self.scheduledFor = scheduledFor
    }

    func encode(into w: inout ByteWriter) {
        w.i64(scheduleID)
        w.f64(scheduledFor)
        w.optionalI64(chatID)
        w.optionalI64(userID)
        w.string(name)
        w.string(callback)
    }

    /// Reads the fields, then the payload: the rest of the message.
    init(decoding r: inout ByteReader) throws(FrameError) {
        scheduleID = try r.i64()
        scheduledFor = try r.f64()
        chatID = try r.optionalI64()
        userID = try r.optionalI64()
        name = try r.string()
        callback = try r.string()
        payload = r.payload()
    }
}
