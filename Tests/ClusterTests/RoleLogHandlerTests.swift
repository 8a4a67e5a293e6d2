import Foundation
import Locking
import Logging
import Synchronization
import TGBot
import TGClusterTesting
import Testing
@testable import ClusterRuntime

/// The roles' handler keeps the logger's metadata and formats it only when a line is written:
/// a handler's `ctx.logger` still carries `update_id` (README), in `StreamLogHandler`'s format.
@Suite("RoleLogHandler")
struct RoleLogHandlerTests {
    /// What a test reads back.
    final class Lines: TextOutputStream, @unchecked Sendable {
        private let text = Mutex("")
        func write(_ string: String) { text.locked { $0 += string } }
        var all: String { text.locked { $0 } }
    }

    @Test func aLine_carriesTheLoggersMetadata_andItsOwnWins() {
        let lines = Lines()
        var logger = Logger(label: "tgcluster.worker") { label in
            RoleLogHandler(StreamLogHandler(label: label, stream: lines, metadataProvider: nil), level: .info)
        }
        logger[metadataKey: "pid"] = "12"
        logger[metadataKey: "update_id"] = "7"
        logger.debug("below the level")
        logger.info("handled", metadata: ["pid": "13", "method": "sendMessage"])
        logger[metadataKey: "update_id"] = nil
        logger.warning("plain")
        let written = lines.all.split(separator: "\n")
        #expect(written.count == 2, "\(written)")
        #expect(written.first?.hasSuffix("info tgcluster.worker: method=sendMessage pid=13 update_id=7 [ClusterTests] handled") == true,
                "\(written.first ?? "")")
        #expect(written.last?.hasSuffix("warning tgcluster.worker: pid=12 [ClusterTests] plain") == true, "\(written.last ?? "")")
    }
}

extension RoleLogHandlerTests {
    /// A job's logger is a copy of the process's with keys of its own: reads, overwrites,
    /// removals and the whole `metadata` see one table, and a copy's key does not reach the
    /// logger it was copied from.
    @Test func metadataSetOnACopy_readsAsOneTable_andStaysWithTheCopy() {
        var process = Logger(label: "tgcluster.worker") { RoleLogHandler(label: $0, level: .info) }
        process[metadataKey: "pid"] = "12"
        var job = process
        job[metadataKey: "update_id"] = "7"
        #expect(job[metadataKey: "update_id"] == "7" && job[metadataKey: "pid"] == "12")
        #expect(process[metadataKey: "update_id"] == nil, "the copy's key reached the process's logger")
        job[metadataKey: "job_key"] = "k"
        job[metadataKey: "pid"] = "13"
        #expect(job.handler.metadata == ["pid": "13", "update_id": "7", "job_key": "k"])
        job[metadataKey: "update_id"] = nil
        job[metadataKey: "pid"] = nil
        #expect(job.handler.metadata == ["job_key": "k"])
        #expect(job[metadataKey: "pid"] == nil && job[metadataKey: "update_id"] == nil && job[metadataKey: "job_key"] == "k")
        job.handler.metadata = ["a": "1"]
        #expect(job[metadataKey: "job_key"] == nil && job[metadataKey: "a"] == "1")
        #expect(process.handler.metadata == ["pid": "12"])
    }
}

extension RoleLogHandlerTests {
    /// `ctx.logger` carries the update's id in both modes (README), labelled when a handler asks
    /// for it rather than per update. (Tried: without the context's label, the pool's handler
    /// gets no id; the sequencer's logger is labelled on its own.)
    @Test func aHandlersLogger_carriesItsUpdatesID_inBothModes() async throws {
        let seen = Mutex<[String: String]>([:])
        let bot = Bot()
        bot.onCommand("pool") { ctx in
            seen.locked { $0["pool"] = ctx.logger[metadataKey: "update_id"].map { "\($0)" } == "\(ctx.raw.updateID)" ? "labelled" : "not" }
        }
        bot.onCommand("serial", .serial) { ctx in
            seen.locked { $0["serial"] = ctx.logger[metadataKey: "update_id"].map { "\($0)" } == "\(ctx.raw.updateID)" ? "labelled" : "not" }
        }
        let logger = Logger(label: "tgcluster.tester") { label in
            RoleLogHandler(StreamLogHandler(label: label, stream: Lines(), metadataProvider: nil), level: .critical)
        }
        try await withBotTester(bot, logger: logger) { tester in
            _ = try await tester.send("/pool")
            _ = try await tester.send("/serial")
        }
        #expect(seen.locked { $0 } == ["pool": "labelled", "serial": "labelled"])
    }
}
