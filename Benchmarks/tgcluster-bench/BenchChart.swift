import Foundation

/// The cluster benchmark as a picture (issue 13, item 6): updates per second and CPU per update
/// of each target at 0 and 50 ms, and the distribution of reply latency at 0 ms. Plain SVG, so
/// that it renders on GitHub and in any browser, and diffs as text.
enum BenchChart {
    struct Row {
        var name: String
        /// Emulator latency, ms.
        var latency: Int
        var updatesPerSecond: Double
        var cpuMicrosPerUpdate: Double
        /// Injection → reply, ms, sorted.
        var latencies: [Double]
    }

    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]

    static func svg(_ rows: [Row], title: String) -> String {
        let names = rows.reduce(into: [String]()) { if !$0.contains($1.name) { $0.append($1.name) } }
        let width = 1010, height = 330
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="white"/>
        <text x="10" y="18" font-size="13" font-weight="bold">\(escape(title))</text>

        """
        out += bars(rows, names: names, x: 10, title: "updates/s (light: 0 ms, dark: 50 ms)", log: false) { $0.updatesPerSecond }
        out += bars(rows, names: names, x: 340, title: "CPU µs per update (log scale)", log: true) { $0.cpuMicrosPerUpdate }
        out += cdf(rows.filter { $0.latency == 0 }, names: names, x: 670)
        out += "</svg>\n"
        return out
    }

    /// Horizontal bars, one pair per target (0 ms, 50 ms), scaled to the largest value.
    static func bars(_ rows: [Row], names: [String], x: Int, title: String, log: Bool, _ value: (Row) -> Double) -> String {
        let top = 50, barWidth = 200.0, rowHeight = 40
        let maximum = rows.map(value).max() ?? 1
        func scale(_ v: Double) -> Double {
            guard v > 0 else { return 0 }
            return log ? barWidth * max(0, Foundation.log10(v)) / Foundation.log10(max(maximum, 10)) : barWidth * v / maximum
        }
        var out = "<text x=\"\(x)\" y=\"\(top - 14)\" font-weight=\"bold\">\(escape(title))</text>\n"
        for (i, name) in names.enumerated() {
            let y = top + i * rowHeight
            out += "<text x=\"\(x)\" y=\"\(y + 12)\">\(escape(name))</text>\n"
            for (j, latency) in [0, 50].enumerated() {
                guard let row = rows.first(where: { $0.name == name && $0.latency == latency }) else { continue }
                let v = value(row), w = scale(v), by = y + 16 + j * 11
                out += "<rect x=\"\(x)\" y=\"\(by)\" width=\"\(fixed(w, 1))\" height=\"10\" fill=\"\(colors[i % colors.count])\" "
                    + "opacity=\"\(j == 0 ? "0.55" : "1")\"/>\n"
                out += "<text x=\"\(x + Int(w) + 4)\" y=\"\(by + 9)\">\(fixed(v, 0))</text>\n"
            }
        }
        return out
    }

    /// The share of replies within each latency, per target, on a log time axis.
    static func cdf(_ rows: [Row], names: [String], x: Int) -> String {
        let top = 50, plotWidth = 300.0, plotHeight = 220.0
        let all = rows.flatMap(\.latencies).filter { $0 > 0 }
        guard let low = all.min(), let high = all.max(), high > low else { return "" }
        let (l0, l1) = (Foundation.log10(low), Foundation.log10(high))
        var out = "<text x=\"\(x)\" y=\"\(top - 14)\" font-weight=\"bold\">share of replies within t (0 ms, log t)</text>\n"
        out += "<rect x=\"\(x)\" y=\"\(top)\" width=\"\(Int(plotWidth))\" height=\"\(Int(plotHeight))\" fill=\"none\" stroke=\"#999\"/>\n"
        for share in [0, 50, 100] {
            out += "<text x=\"\(x + Int(plotWidth) + 4)\" y=\"\(top + Int(plotHeight * Double(100 - share) / 100) + 4)\">\(share)%</text>\n"
        }
        for decade in Int(l0.rounded(.down))...Int(l1.rounded(.up)) {
            let t = pow(10, Double(decade))
            guard t >= low / 1.0001, t <= high * 1.0001 else { continue }
            let px = Double(x) + plotWidth * (Foundation.log10(t) - l0) / (l1 - l0)
            out += "<line x1=\"\(fixed(px, 1))\" y1=\"\(top)\" x2=\"\(fixed(px, 1))\" y2=\"\(top + Int(plotHeight))\" stroke=\"#ddd\"/>\n"
            out += "<text x=\"\(fixed(px - 10, 1))\" y=\"\(top + Int(plotHeight) + 14)\">\(t >= 1000 ? "\(Int(t / 1000)) s" : "\(Int(t)) ms")</text>\n"
        }
        for row in rows {
            let i = names.firstIndex(of: row.name) ?? 0
            let sample = stride(from: 0, to: row.latencies.count, by: max(1, row.latencies.count / 200)).map { row.latencies[$0] } + [row.latencies.last ?? 0]
            let points = sample.enumerated().map { k, t -> String in
                let px = Double(x) + plotWidth * (Foundation.log10(max(t, low)) - l0) / (l1 - l0)
                let py = Double(top) + plotHeight * (1 - Double(k) / Double(max(1, sample.count - 1)))
                return "\(fixed(px, 1)),\(fixed(py, 1))"
            }
            out += "<polyline fill=\"none\" stroke=\"\(colors[i % colors.count])\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
        }
        return out
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
