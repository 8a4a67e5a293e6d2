import Foundation

/// `tgcluster status` as text: processes, queues, throughput, latency.
public enum StatusReport {
    public static func render(_ status: [String: Any], now: Double = Date().timeIntervalSince1970) -> String {
        let supervisor = status["supervisor"] as? [String: Any] ?? [:]
        let broker = status["broker"] as? [String: Any] ?? [:]
        var lines: [String] = []
        lines.append("supervisor pid \(supervisor["pid"] ?? "?"), workers wanted: \(supervisor["desired_workers"] ?? "?")")
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? s + fill : fill + s
        }
        func row(_ cells: [String]) -> String {
            pad(cells[0], 11, left: true) + pad(cells[1], 8) + pad(cells[2], 10) + pad(cells[3], 10) + pad(cells[4], 11)
        }
        lines.append(row(["role", "pid", "uptime", "restarts", "in flight"]))
        let peers = broker["peers"] as? [[String: Any]] ?? []
        for child in (supervisor["children"] as? [[String: Any]] ?? []) {
            let pid = child["pid"] as? Int ?? 0
            let started = child["started"] as? Double ?? now
            let inFlight = peers.first { ($0["id"] as? String ?? "").contains("-\(pid)-") }?["in_flight"] as? Int
            var role = child["role"] as? String ?? "?"
            if child["draining"] as? Bool == true { role += "*" }
            lines.append(row([role, "\(pid)", "\(Int(now - started))s", "\(child["restarts"] as? Int ?? 0)", inFlight.map(String.init) ?? "-"]))
        }
        lines.append("queued \(broker["queued"] ?? 0), in flight \(broker["in_flight"] ?? 0), completed \(broker["completed"] ?? 0), failed \(broker["failed"] ?? 0), requeued \(broker["requeued"] ?? 0), dead-lettered \(broker["dead_lettered"] ?? 0), duplicates \(broker["duplicates"] ?? 0)")
        lines.append(String(format: "%.0f updates/s; handler latency p50 %.2f ms, p99 %.2f ms",
                            broker["updates_per_second"] as? Double ?? 0, broker["latency_ms_p50"] as? Double ?? 0, broker["latency_ms_p99"] as? Double ?? 0))
        return lines.joined(separator: "\n")
    }
}
