/// Numbers: skipped where only their bounds matter (validated all the same), read where the
/// scanner needs a value (`update_id`, a chat's or a user's id).
extension JSONScanner {
    /// Skips a number, validating it as `scanNumber` does, without computing its value: walks
    /// over an update's ids and dates (five or six numbers of ten digits before a message's text)
    /// paid for a multiply with overflow checks per digit.
    mutating func skipNumber() throws(JSONScanError) {
        if index < end, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, isDigit(bytes[index]) else { throw error("invalid value") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            skipDigits()
        }
        _ = try skipFractionAndExponent()
    }

    @inline(__always)
    private mutating func skipDigits() {
        while index < end, isDigit(bytes[index]) { index += 1 }
    }

    /// After a number's integer digits: its fraction and exponent, if any (true: it has one, so
    /// it is no integer). Shared by `skipNumber` and `scanNumber`.
    private mutating func skipFractionAndExponent() throws(JSONScanError) -> Bool {
        var found = false
        if index < end, bytes[index] == UInt8(ascii: ".") {
            found = true
            index += 1
            guard index < end, isDigit(bytes[index]) else { throw error("invalid number") }
            skipDigits()
        }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            found = true
            index += 1
            if index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, isDigit(bytes[index]) else { throw error("invalid number") }
            skipDigits()
        }
        return found
    }

    /// Scans a number; returns its value when it is an integer that fits `Int64`.
    mutating func scanNumber() throws(JSONScanError) -> Int64? {
        var negative = false
        if index < end, bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < end, isDigit(bytes[index]) else { throw error("invalid value") }
        var value: Int64 = 0
        var fits = true
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if let short = shortDigits() {
            // Up to 18 digits cannot overflow: an update's ids and dates (10–13 digits) are
            // read without a check per digit.
            value = negative ? -short : short
        } else {
            while index < end, isDigit(bytes[index]) {
                let digit = Int64(bytes[index] &- UInt8(ascii: "0"))
                let (m, o1) = value.multipliedReportingOverflow(by: 10)
                let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
                if o1 || o2 { fits = false }
                value = s
                index += 1
            }
        }
        let integral = !(try skipFractionAndExponent())
        return integral && fits ? value : nil
    }

    /// The value of the digits at `index` (the first one not `0`) if there are at most 18 of
    /// them, which no `Int64` overflows; consumed then. Nil, and nothing consumed, for more.
    @inline(__always)
    private mutating func shortDigits() -> Int64? {
        var i = index
        var value: Int64 = 0
        while i < end {
            let digit = bytes[i] &- UInt8(ascii: "0")
            guard digit < 10 else { break }
            value = value &* 10 &+ Int64(digit)
            i += 1
        }
        guard i - index <= 18 else { return nil }
        index = i
        return value
    }

    /// Reads an integer value (`update_id`, a chat id); throws on any other kind of value.
    mutating func readInt64() throws(JSONScanError) -> Int64 {
        let c = try peek()
        guard c == UInt8(ascii: "-") || isDigit(c) else { throw error("expected an integer") }
        guard let value = try scanNumber() else { throw error("expected an integer that fits 64 bits") }
        return value
    }
}

@inline(__always)
func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }
