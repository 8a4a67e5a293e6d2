import Foundation

/// A size on the command line: a number and an optional unit (`512MB`, `1.5GiB`, `200M`,
/// `4096`); K, M and G count in 1024s, as `ps` and `/proc` do.
package enum ByteSize {
    package static func parse(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        let (k, m, g) = (1024.0, 1024.0 * 1024, 1024.0 * 1024 * 1024)
        let units: [(String, Double)] = [("GIB", g), ("MIB", m), ("KIB", k), ("GB", g), ("MB", m), ("KB", k), ("G", g), ("M", m), ("K", k), ("B", 1)]
        var scale = 1.0, number = Substring(t)
        if let (suffix, s) = units.first(where: { t.hasSuffix($0.0) }) {
            scale = s
            number = number.dropLast(suffix.count)
        }
        guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0,
              value * scale < Double(Int.max) else { return nil }
        return Int(value * scale)
    }
}
