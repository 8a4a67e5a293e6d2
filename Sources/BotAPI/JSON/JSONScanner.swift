/// A validating, non-allocating walk over JSON bytes: skips values, reads keys, strings and
/// integers where asked, and never builds a tree.
///
/// The hot path of ingest and broker: they need an update's bounds, id, kind and chat, not its
/// contents. Every read is bounds-checked against `end` and nesting is limited, so truncated or
/// hostile input ends in a `JSONScanError`, never a trap or an out-of-bounds read.
package struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    package var index: Int
    package let end: Int
    private var depth = 0
    static let maxDepth = 256

    package init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.index = start
        self.end = end ?? bytes.count
    }

    // MARK: - Bytes

    @inline(__always)
    package mutating func skipWhitespace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// The next non-whitespace byte, not consumed.
    @inline(__always)
    mutating func peek() throws(JSONScanError) -> UInt8 {
        skipWhitespace()
        guard index < end else { throw error("unexpected end of input") }
        return bytes[index]
    }

    @inline(__always)
    mutating func expect(_ byte: UInt8) throws(JSONScanError) {
        guard try peek() == byte else {
            throw error("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        index += 1
    }

    /// Consumes `byte` if it is next.
    @inline(__always)
    mutating func consume(_ byte: UInt8) throws(JSONScanError) -> Bool {
        guard try peek() == byte else { return false }
        index += 1
        return true
    }

    func error(_ reason: String) -> JSONScanError {
        JSONScanError(offset: index, reason: reason)
    }

    // MARK: - Values

    /// Skips one value of any kind, validating it.
    package mutating func skipValue() throws(JSONScanError) {
        switch try peek() {
        case UInt8(ascii: "{"):
            try enter()
            index += 1
            if try consume(UInt8(ascii: "}")) { depth -= 1; return }
            repeat {
                guard try peek() == UInt8(ascii: "\"") else { throw error("expected a key") }
                try skipString()
                try expect(UInt8(ascii: ":"))
                try skipValue()
            } while try consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"))
            depth -= 1
        case UInt8(ascii: "["):
            try enter()
            index += 1
            if try consume(UInt8(ascii: "]")) { depth -= 1; return }
            repeat {
                try skipValue()
            } while try consume(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"))
            depth -= 1
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        default:
            try skipNumber()
        }
    }

    private mutating func enter() throws(JSONScanError) {
        depth += 1
        guard depth <= JSONScanner.maxDepth else { throw error("nested deeper than \(JSONScanner.maxDepth)") }
    }

    private mutating func literal(_ word: StaticString) throws(JSONScanError) {
        let count = word.utf8CodeUnitCount
        guard end - index >= count else { throw error("truncated literal") }
        let ptr = word.utf8Start
        for i in 0..<count where bytes[index + i] != ptr[i] {
            throw error("invalid literal")
        }
        index += count
    }

    /// Skips a string at `index` (which must be `"`), validating escapes and control bytes.
    /// Returns the range of its contents (between the quotes) and whether it has escapes.
    @discardableResult
    mutating func skipString() throws(JSONScanError) -> (range: Range<Int>, escaped: Bool) {
        index += 1
        let start = index
        var escaped = false
        while index < end {
            // Eight bytes at a time while none of them ends the string, starts an escape or is a
            // control byte: most of a text, a name or a username (the walk over an update's
            // strings was the largest item of ingest's instructions per update).
            while index + 8 <= end {
                let stops = Self.stopBytes(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)))
                if stops == 0 { index += 8; continue }
                index += stops.trailingZeroBitCount >> 3  // at the first one, handled below
                break
            }
            guard index < end else { break }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let range = start..<index
                index += 1
                return (range, escaped)
            }
            if b == UInt8(ascii: "\\") {
                escaped = true
                guard index + 1 < end else { break }
                switch bytes[index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                     UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 2
                case UInt8(ascii: "u"):
                    guard index + 6 <= end else { throw error("truncated \\u escape") }
                    for i in 2..<6 where hexValue(bytes[index + i]) == nil {
                        throw error("invalid \\u escape")
                    }
                    index += 6
                default:
                    throw error("invalid escape")
                }
                continue
            }
            if b < 0x20 { throw error("control character in string") }
            index += 1
        }
        throw error("unterminated string")
    }

    /// The high bit of each of the eight bytes of `word` (little-endian: the first byte is the
    /// lowest) that is a quote, a backslash or below 0x20; zero when none is. The classic word
    /// tests ("has a zero byte", "has a byte less than n") may mark a byte above a marked one
    /// wrongly (a borrow), never one below: the lowest mark is exact, which is all the caller
    /// uses.
    @inline(__always)
    static func stopBytes(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        let control = (word &- ones &* 0x20) & ~word
        return (zeroQuote | zeroBackslash | control) & 0x8080_8080_8080_8080
    }

    /// Reads a string value, decoding escapes.
    mutating func readString() throws(JSONScanError) -> String {
        guard try peek() == UInt8(ascii: "\"") else { throw error("expected a string") }
        let (range, escaped) = try skipString()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range])
        return escaped ? try JSONScanner.unescape(raw) : String(decoding: raw, as: UTF8.self)
    }

    // MARK: - Objects

    /// Enters an object: consumes `{`. Then call `nextKey()` until it returns nil.
    mutating func beginObject() throws(JSONScanError) {
        guard try peek() == UInt8(ascii: "{") else { throw error("expected an object") }
        try enter()
        index += 1
    }

    /// The next member's raw key (its bytes between quotes), consuming the `:`; nil after `}`.
    /// Call after `beginObject()` and after each member's value has been read or skipped.
    mutating func nextKey(first: inout Bool) throws(JSONScanError) -> (range: Range<Int>, escaped: Bool)? {
        if first {
            first = false
            if try consume(UInt8(ascii: "}")) { depth -= 1; return nil }
        } else if !(try consume(UInt8(ascii: ","))) {
            try expect(UInt8(ascii: "}"))
            depth -= 1
            return nil
        }
        guard try peek() == UInt8(ascii: "\"") else { throw error("expected a key") }
        let key = try skipString()
        try expect(UInt8(ascii: ":"))
        return key
    }

    /// Whether the raw key bytes in `key` equal `name` (keys with escapes are decoded first).
    func key(_ key: (range: Range<Int>, escaped: Bool), is name: StaticString) -> Bool {
        if key.escaped {
            let decoded = (try? JSONScanner.unescape(UnsafeRawBufferPointer(rebasing: bytes[key.range]))) ?? ""
            return decoded == String(describing: name)
        }
        let count = name.utf8CodeUnitCount
        guard key.range.count == count else { return false }
        let ptr = name.utf8Start
        var i = 0
        var j = key.range.lowerBound
        while i < count {
            if bytes[j] != ptr[i] { return false }
            i += 1
            j += 1
        }
        return true
    }

    /// Whether the raw key bytes equal `name`, without allocating.
    func key(_ key: (range: Range<Int>, escaped: Bool), equals name: String) -> Bool {
        if key.escaped { return keyString(key) == name }
        let raw = UnsafeRawBufferPointer(rebasing: bytes[key.range])
        guard name.utf8.count == raw.count else { return false }
        // On the string's own bytes: `elementsEqual` went through two iterators, some 200
        // instructions a key (`scripts/bench instructions`).
        return name.utf8.withContiguousStorageIfAvailable { own in
            for i in 0..<own.count where own[i] != raw[i] { return false }
            return true
        } ?? name.utf8.elementsEqual(raw)
    }

    /// The key as a Swift string.
    func keyString(_ key: (range: Range<Int>, escaped: Bool)) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: bytes[key.range])
        if key.escaped, let s = try? JSONScanner.unescape(raw) { return s }
        return String(decoding: raw, as: UTF8.self)
    }

    // MARK: - Helpers

    static func unescape(_ raw: UnsafeRawBufferPointer) throws(JSONScanError) -> String {
        var out = [UInt8]()
        out.reserveCapacity(raw.count)
        var i = 0
        func hex4(_ at: Int) throws(JSONScanError) -> UInt32 {
            guard at + 4 <= raw.count else { throw JSONScanError(offset: at, reason: "truncated \\u escape") }
            var v: UInt32 = 0
            for k in 0..<4 {
                guard let h = hexValue(raw[at + k]) else { throw JSONScanError(offset: at, reason: "invalid \\u escape") }
                v = v << 4 | UInt32(h)
            }
            return v
        }
        while i < raw.count {
            let b = raw[i]
            guard b == UInt8(ascii: "\\"), i + 1 < raw.count else {
                out.append(b)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(i)
                i += 4
                if (0xD800..<0xDC00).contains(scalar), i + 6 <= raw.count,
                   raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u") {
                    let low = try hex4(i + 2)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                let s = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                out.append(contentsOf: String(Character(s)).utf8)
            default: out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

@inline(__always)
private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
    default: return nil
    }
}
