import BotAPI
import Foundation

extension FuzzTarget {
    /// The input's pieces are the reads of one connection: the parser gives the same verdict,
    /// status and body whether it sees them one by one or joined into one read, before and
    /// after the connection ends (where reads split a server's bytes is the network's choice).
    static func httpResponse(_ data: Data) {
        let pieces = FuzzInput.pieces(data)
        var split = HTTPResponseParser()
        var splitVerdict = HTTPResponseParser.Verdict.needMore
        for piece in pieces { splitVerdict = piece.withUnsafeBytes { split.consume($0) } }
        var whole = HTTPResponseParser()
        var wholeVerdict = pieces.reduce(Data(), +).withUnsafeBytes { whole.consume($0) }
        precondition(splitVerdict == wholeVerdict, "split: \(splitVerdict), whole: \(wholeVerdict)")
        splitVerdict = split.endOfInput()
        wholeVerdict = whole.endOfInput()
        precondition(splitVerdict == wholeVerdict, "at the end, split: \(splitVerdict), whole: \(wholeVerdict)")
        if case .complete = wholeVerdict {
            precondition(split.status == whole.status && split.body == whole.body && split.retryAfter == whole.retryAfter
                         && split.contentType == whole.contentType, "the same answer read two ways differs")
            precondition((100...999).contains(whole.status), "status \(whole.status)")
        }
    }
}
