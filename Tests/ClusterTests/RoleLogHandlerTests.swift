import Foundation
import Locking
import Logging
import Synchronization
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
