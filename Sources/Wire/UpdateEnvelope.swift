import BotAPI
import Foundation

/// An update as it travels between processes: the scanner's findings and the raw bytes, so no
/// process but the one running a handler decodes it.
///
/// Wire: `update_id` i64 | key kind u8 (0 none, 1 chat, 2 user) | key i64 | kind (u8 length +
/// UTF-8) | the update's JSON bytes.
public struct UpdateEnvelope: Sendable, Equatable {
    public let updateID: Int64
    public let kind: UpdateKind
    public let routingKey: RoutingKey?
    /// The update's JSON; or, for an envelope read from the wire, the wire form with the JSON
    /// from `jsonStart` on: a broker passes an update on (JOB, the journal) as it came instead of
    /// writing the same bytes again per hop, and holds one copy of it, not two.
    private let storage: Data
    private let jsonStart: Data.Index?
    /// Where the update's text lies, as ingest's scanner found it: it travels beside the
    /// envelope (UPDATES, JOB), not in its bytes (the journal's layout), and is not part of `==`.
    /// Checked against the update's length wherever it is used (`RawUpdate`).
    public var textPosition: TextPosition

    public init(updateID: Int64, kind: UpdateKind, routingKey: RoutingKey?, bytes: Data, textPosition: TextPosition = .unknown) {
        self.updateID = updateID
        self.kind = kind
        self.routingKey = routingKey
        storage = bytes
        jsonStart = nil
        self.textPosition = textPosition
    }

    /// The update where it lies in `response` (a slice sharing its storage, not a copy: the
    /// batch's envelopes are written into the UPDATES frame once and let go, and a copy per
    /// update was ~1,000 of ingest's ~10,400 instructions per update, `scripts/bench
    /// instructions`: an allocation, the copy, the storage's exclusivity checks and its free).
    public init(_ scanned: ScannedUpdate, in response: Data) {
        let start = response.startIndex + scanned.range.lowerBound
        self.init(updateID: scanned.updateID, kind: scanned.kind, routingKey: scanned.routingKey,
                  bytes: response[start..<start + scanned.range.count], textPosition: scanned.textPosition)
    }

    /// The update's JSON where it lies in `storage`.
    private var json: Data.SubSequence { storage[(jsonStart ?? storage.startIndex)...] }

    /// Exactly the update's JSON, indexed from zero (a copy for an envelope read from the wire
    /// or made over a slice of a response).
    public var bytes: Data { jsonStart == nil && storage.startIndex == 0 ? storage : Data(json) }

    /// The length of the update's JSON, without a copy, and without making the slice `json`
    /// would (156 instructions a reading, four readings per update in the broker).
    public var byteCount: Int { storage.endIndex - (jsonStart ?? storage.startIndex) }

    /// The update for the router and handlers, over the bytes where they lie (no copy).
    public var raw: RawUpdate {
        RawUpdate(bytes: json, scanned: ScannedUpdate(updateID: updateID, kind: kind, routingKey: routingKey, range: 0..<byteCount,
                                                      textPosition: textPosition))
    }

    package func encode(into w: inout ByteWriter) {
        if jsonStart != nil {
            w.bytes(storage)
            return
        }
        w.i64(updateID)
        w.routingKey(routingKey)
        w.shortString(kind.rawValue)
        w.bytes(storage)
    }

    public var encoded: Data {
        if jsonStart != nil { return storage }
        var w = ByteWriter(capacity: 8 + 9 + 1 + kind.rawValue.utf8.count + storage.count)
        encode(into: &w)
        return w.data
    }

    public init(decoding data: Data, textPosition: TextPosition = .unknown) throws(FrameError) {
        // The fields before the JSON in one look at the bytes: read one by one (`ByteReader`),
        // each was a `withUnsafeBytes` on the slice, ~270 instructions apiece, five per update.
        // Offsets (the layout above): update_id 0..<8, key kind 8, key 9..<17, kind's length 17,
        // the kind from 18, the JSON after it.
        let fields = data.withUnsafeBytes { raw -> (id: Int64, keyKind: UInt8, keyID: Int64, kind: UpdateKind?, end: Int)? in
            guard raw.count >= 18, raw.count >= 18 + Int(raw[17]) else { return nil }
            let end = 18 + Int(raw[17])
            let kind = UpdateKind(utf8: UnsafeRawBufferPointer(rebasing: raw[18..<end]).assumingMemoryBound(to: UInt8.self))
            return (Int64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: Int64.self)), raw[8],
                    Int64(bigEndian: raw.loadUnaligned(fromByteOffset: 9, as: Int64.self)), kind, end)
        }
        guard let fields else { throw FrameError("frame too short") }
        routingKey = try RoutingKey?(wireKind: fields.keyKind, id: fields.keyID)
        guard let kind = fields.kind else { throw FrameError("a string that is not UTF-8") }
        updateID = fields.id
        self.kind = kind
        storage = data
        jsonStart = data.startIndex + fields.end
        self.textPosition = textPosition
    }

    /// The update's fields; where it was read from does not count.
    public static func == (a: UpdateEnvelope, b: UpdateEnvelope) -> Bool {
        a.updateID == b.updateID && a.kind == b.kind && a.routingKey == b.routingKey && a.json == b.json
    }
}
