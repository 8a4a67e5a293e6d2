import Foundation
import Testing
import Sim
@testable import BotAPI

@Suite("JSONScanner")
struct JSONScannerTests {
    /// The string walk takes eight bytes at a step and jumps to the first quote, backslash or
    /// control byte in them. It must end where a byte-by-byte walk ends, with the same range,
    /// escape flag or error, wherever the special byte falls in a word and whatever follows it
    /// (a borrow in the word test marks bytes above a real one; tried: taking the highest mark
    /// instead of the lowest fails most of these, and a walk that skips words without the
    /// control test accepts raw control bytes).
    @Test func theWordWalk_endsWhereTheByteWalkEnds() {
        var generator = SplitMix64(seed: 13)  // the same strings every run: a failure reproduces
        let alphabet: [UInt8] = Array("abcXYZ 019é".utf8) + [0x22, 0x5C, 0x5C, 0x01, 0x1F, 0x20, 0x21, 0x7F, 0x80, 0xFF, 0x6E, 0x75, 0x30]
        for _ in 0..<20_000 {
            let count = Int.random(in: 0...40, using: &generator)
            var input: [UInt8] = [0x22]
            for _ in 0..<count { input.append(alphabet.randomElement(using: &generator)!) }
            if Bool.random(using: &generator) { input.append(0x22) }
            input += Array(#",  "k":1}"#.utf8).prefix(Int.random(in: 0...9, using: &generator))
            #expect(Self.walk(input) == Self.reference(input), "\(input)")
        }
        #expect(Self.walk(Array(#""plain text that is long enough for words","#.utf8)) == .ended(at: 42, escaped: false))
        #expect(Self.walk(Array(#""0123456\"89","#.utf8)) == .ended(at: 13, escaped: true))
        #expect(Self.walk([0x22] + Array("0123456789".utf8) + [0x0A, 0x22]) == .failed)
    }

    /// `skipNumber` validates without computing the value: it must end where `scanNumber` ends
    /// and fail where it fails, on numbers, near-numbers and what may follow them.
    @Test func skippingANumber_endsAndFailsWhereScanningItDoes() {
        var generator = SplitMix64(seed: 29)
        let alphabet = Array("-0123456789.eE+x ,}".utf8)
        for _ in 0..<20_000 {
            let input = (0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let (skipped, scanned) = input.withUnsafeBytes { raw -> (Int?, Int?) in
                var a = JSONScanner(raw), b = JSONScanner(raw)
                let skipped: Int? = (try? a.skipNumber()).map { a.index }
                // (Not `try?`: it would flatten a fraction's nil value into a failure.)
                var scanned: Int?
                do {
                    _ = try b.scanNumber()
                    scanned = b.index
                } catch {}
                return (skipped, scanned)
            }
            #expect(skipped == scanned, "\(String(decoding: input, as: UTF8.self))")
        }
        for (text, end) in [("-0.5e+3,", 7), ("1234567890}", 10), ("0123", 1), ("-", nil), ("1.", nil), ("2e", nil), ("9e-1 ", 4)] {
            let got = Array(text.utf8).withUnsafeBytes { raw -> Int? in
                var s = JSONScanner(raw)
                return (try? s.skipNumber()).map { s.index }
            }
            #expect(got == end, "\(text)")
        }
    }

    /// An integer's value: up to 18 digits read without a check per digit, more with one, so
    /// the limits of `Int64` are exact and one past them is no integer (nil), whatever the sign;
    /// the value agrees with Swift's own parsing on random digits of every length to 20.
    @Test func anIntegersValue_isExactUpToInt64sLimits_andNilPastThem() {
        func scan(_ text: String) -> Int64?? {
            Array(text.utf8).withUnsafeBytes { raw -> Int64?? in
                var s = JSONScanner(raw)
                return try? s.scanNumber()
            }
        }
        #expect(scan("999999999999999999") == .some(999_999_999_999_999_999))
        #expect(scan("-999999999999999999,") == .some(-999_999_999_999_999_999))
        #expect(scan("9223372036854775807") == .some(Int64.max))
        #expect(scan("-9223372036854775808") == .some(Int64.min))
        #expect(scan("9223372036854775808") == .some(nil))
        #expect(scan("-9223372036854775809") == .some(nil))
        #expect(scan("12345678901234567890") == .some(nil))
        #expect(scan("1796693848.5") == .some(nil))
        var generator = SplitMix64(seed: 31)
        for _ in 0..<5_000 {
            let digits = Int.random(in: 1...20, using: &generator)
            let text = (Bool.random(using: &generator) ? "-" : "") + String(Int.random(in: 1...9, using: &generator))
                + String((1..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            #expect(scan(text) == .some(Int64(text)), "\(text)")
        }
    }

    /// The walk over scanned bytes (`skipScannedValue`, what a `RawUpdate`'s reads use) ends
    /// where the validating `skipValue` ends, on every value that one accepts: objects, arrays,
    /// strings with escaped quotes and backslashes, numbers and literals, at any depth, with
    /// whitespace around and any delimiter after. On other bytes it stays in bounds (and agrees
    /// where a delimiter follows what the validating walk accepted).
    @Test func theWalkOverScannedBytes_endsWhereTheValidatingWalkEnds() {
        var generator = SplitMix64(seed: 41)
        func value(_ depth: Int) -> String {
            let ws = [" ", "", "", "\n "].randomElement(using: &generator)!
            switch Int.random(in: 0..<(depth < 4 ? 7 : 4), using: &generator) {
            case 0: return ["\"\"", "\"plain text\"", "\"a \\\"quoted\\\" word\"", "\"back\\\\\"", "\"\\u00e9\\/ long enough for words\""]
                .randomElement(using: &generator)!
            case 1: return ["0", "-12", "1700000000", "3.25e-2"].randomElement(using: &generator)!
            case 2: return ["true", "false", "null"].randomElement(using: &generator)!
            case 3: return "\"k\\\\\""
            case 4, 5: return "{" + (0..<Int.random(in: 0...3, using: &generator)).map { i in "\(ws)\"key\(i)\"\(ws):\(ws)\(value(depth + 1))\(ws)" }
                .joined(separator: ",") + "}"
            default: return "[" + (0..<Int.random(in: 0...3, using: &generator)).map { _ in ws + value(depth + 1) + ws }.joined(separator: ",") + "]"
            }
        }
        func ends(_ input: [UInt8]) -> (validated: Int?, scanned: Int?) {
            input.withUnsafeBytes { raw in
                var a = JSONScanner(raw), b = JSONScanner(raw)
                return ((try? a.skipValue()).map { a.index }, b.skipScannedValue() ? b.index : nil)
            }
        }
        for _ in 0..<5_000 {
            let text = [" ", ""].randomElement(using: &generator)! + value(0) + [",", "}", "]", " ,", ""].randomElement(using: &generator)!
            let (validated, scanned) = ends(Array(text.utf8))
            #expect(validated != nil && scanned == validated, "\(text)")
        }
        let alphabet = Array("{}[]\"\\:,0a ".utf8)
        for _ in 0..<20_000 {
            let input = (0..<Int.random(in: 0...16, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let (validated, scanned) = ends(input)
            // Where JSON could go on after the value (the walk assumes that it does).
            if let validated, validated == input.count || Array(",}] ".utf8).contains(input[validated]) {
                #expect(scanned == validated, "\(String(decoding: input, as: UTF8.self))")
            }
            let index = input.withUnsafeBytes { raw in
                var walk = JSONScanner(raw)
                _ = walk.skipScannedValue()
                return walk.index
            }
            #expect(index <= input.count, "\(String(decoding: input, as: UTF8.self))")
        }
        // Found by the json fuzz target: a string that ends in its escape's backslash.
        #expect(ends(Array(#""\"#.utf8)).scanned == nil)
    }

    enum Outcome: Equatable {
        case ended(at: Int, escaped: Bool)
        case failed
    }

    static func walk(_ input: [UInt8]) -> Outcome {
        input.withUnsafeBytes { raw in
            var s = JSONScanner(raw)
            guard let (range, escaped) = try? s.skipString() else { return .failed }
            #expect(range == 1..<(s.index - 1))
            return .ended(at: s.index, escaped: escaped)
        }
    }

    /// The byte-by-byte walk the scanner did before it took words.
    static func reference(_ input: [UInt8]) -> Outcome {
        var i = 1
        var escaped = false
        while i < input.count {
            let b = input[i]
            if b == 0x22 { return .ended(at: i + 1, escaped: escaped) }
            if b == 0x5C {
                escaped = true
                guard i + 1 < input.count else { return .failed }
                switch input[i + 1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74: i += 2
                case 0x75:
                    guard i + 6 <= input.count, input[(i + 2)..<(i + 6)].allSatisfy({ $0.isHexDigit }) else { return .failed }
                    i += 6
                default: return .failed
                }
                continue
            }
            if b < 0x20 { return .failed }
            i += 1
        }
        return .failed
    }
}

private extension UInt8 {
    var isHexDigit: Bool { (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
