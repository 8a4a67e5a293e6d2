import Chaos
import Testing

/// The chaos run's judge: each way a chat's replies can go wrong is counted as what it is, so
/// the run can fail (a clean run proves nothing if the audit cannot see a loss).
@Suite("Chaos: chat audit")
struct ChatAuditTests {
    static func audit(_ want: [String], _ got: [String]) -> ChatAudit {
        var a = ChatAudit()
        a.check(chat: 1, expected: want.map { .exactly($0) }, got: got)
        return a
    }

    @Test func everyReplyOnceInOrder_isClean() {
        let a = Self.audit(["a", "b", "c"], ["a", "b", "c"])
        #expect(a.delivered == 3 && a.lost == 0 && a.repeats == 0 && a.outOfOrder == 0)
        #expect(a.examples.isEmpty)
    }

    @Test func aMissingReply_isLost_notOutOfOrder() {
        let a = Self.audit(["a", "b", "c"], ["a", "c"])
        #expect(a.lost == 1 && a.outOfOrder == 0 && a.repeats == 0)
        #expect(a.examples == ["chat 1: 1 of 3 never arrived"])
        #expect(Self.audit(["a", "b", "c"], ["a", "b"]).lost == 1)
    }

    @Test func aRepeatRightAfterItself_isARepeat() {
        let a = Self.audit(["a", "b", "c"], ["a", "b", "b", "c"])
        #expect(a.repeats == 1 && a.lost == 0 && a.outOfOrder == 0)
    }

    @Test func aLateReply_isOutOfOrder() {
        let a = Self.audit(["a", "b", "c"], ["a", "c", "b"])
        #expect(a.outOfOrder == 1 && a.lost == 0 && a.delivered == 3)
        #expect(a.examples.first?.contains("\"b\" arrived after later messages") == true)
    }

    @Test func anUnknownReply_isOutOfOrder() {
        let a = Self.audit(["a"], ["a", "z"])
        #expect(a.outOfOrder == 1 && a.lost == 0)
    }

    @Test func aRepeatFromLongAgo_isOutOfOrder() {
        // Past the window: not what a job re-run after a crash produces.
        let a = Self.audit(["a", "b", "c", "d", "e"], ["a", "b", "c", "d", "e", "a"])
        #expect(a.outOfOrder == 1 && a.repeats == 0)
    }

    @Test func theBanksRepeatedTexts_outboxReplayOfAPrefix_isRepeats() {
        // "Preparing..." and "Transferring money..." sent again after a sequencer restart.
        let transfer = ["Preparing...", "Transferring money...", "Done!"]
        let a = Self.audit(transfer + transfer, ["Preparing...", "Transferring money...", "Preparing...", "Transferring money...", "Done!"] + transfer)
        #expect(a.repeats == 2 && a.lost == 0 && a.outOfOrder == 0)
        // A lost middle notification is found even though the same text comes again later.
        let lost = Self.audit(transfer + transfer, ["Preparing...", "Done!"] + transfer)
        #expect(lost.lost == 1 && lost.outOfOrder == 0)
    }

    @Test func prefixes_matchRefusalsWhateverTheirReason() {
        var a = ChatAudit()
        a.check(chat: 7, expected: [.prefix("Refused:"), .exactly("Done!")], got: ["Refused: insufficient funds", "Done!"])
        #expect(a.delivered == 2 && a.lost == 0)
        a.check(chat: 8, expected: [.prefix("Refused:")], got: ["Accepted"])
        #expect(a.lost == 1 && a.outOfOrder == 1 && a.chats == 2)
    }
}
