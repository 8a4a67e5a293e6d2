import Foundation

/// `tgcluster status` as text: processes, queues, throughput, latency.
package enum StatusReport {
    /// The report; with `previous` (an earlier answer and its time), the rates since then too.
    package static func render(_ status: ControlAnswer, now: Double = Date().timeIntervalSince1970,
                               previous: (status: ControlAnswer, at: Double)? = nil) -> String {
        var lines: [String] = []
        let supervisor = status.supervisor
        lines.append("supervisor pid \(supervisor.map { "\($0.pid)" } ?? "?"), workers wanted: \(supervisor.map { "\($0.desiredWorkers)" } ?? "?")")
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? s + fill : fill + s
        }
        func row(_ cells: [String]) -> String {
            pad(cells[0], 14, left: true) + pad(cells[1], 8) + pad(cells[2], 8) + pad(cells[3], 10) + pad(cells[4], 10) + pad(cells[5], 11)
        }
        lines.append(row(["role", "pid", "host", "uptime", "restarts", "in flight"]))
        let peers = status.broker?.peers ?? []
        for child in supervisor?.children ?? [] {
            let inFlight = peers.first { !$0.remote && $0.pid == child.pid }?.inFlight
            // With `--ingest-in-broker` the broker's process is the poller too: no ingest row.
            let polls = child.role == "broker" && status.broker?.polls == true
            let role = child.role + (polls ? "+ingest" : "") + (child.draining ? "*" : "")
            lines.append(row([role, "\(child.pid)", "local", "\(Int(now - child.started))s", "\(child.restarts)", inFlight.map(String.init) ?? "-"]))
        }
        // Workers on other hosts: the broker knows them, their own supervisors know their uptime.
        let remote = peers.filter(\.remote).sorted { ($0.host, $0.pid) < ($1.host, $1.pid) }
        for peer in remote {
            lines.append(row([peer.role, "\(peer.pid)", peer.host.isEmpty ? "?" : peer.host, "-", "-", "\(peer.inFlight)"]))
        }
        let hosts = Dictionary(grouping: remote) { $0.host.isEmpty ? "?" : $0.host }
        if !hosts.isEmpty {
            lines.append("worker hosts: " + hosts.keys.sorted().map { host in
                let members = hosts[host]!
                return "\(host) \(members.count) workers, \(members.reduce(0) { $0 + $1.capacity }) slots, "
                    + "\(members.reduce(0) { $0 + $1.inFlight }) in flight"
            }.joined(separator: "; "))
        }
        let b = status.broker
        // Packed, a busy worker's count next to idle ones is the policy at work, not a fault.
        let dispatch = b?.dispatch.map { " (dispatch \($0))" } ?? ""
        lines.append("queued \(b?.queued ?? 0), in flight \(b?.inFlight ?? 0)\(dispatch), completed \(b?.completed ?? 0), failed \(b?.failed ?? 0), "
                     + "requeued \(b?.requeued ?? 0), dead-lettered \(b?.deadLettered ?? 0), duplicates \(b?.duplicates ?? 0)")
        lines.append(String(format: "%.0f updates/s; handler latency p50 %.2f ms, p99 %.2f ms",
                            b?.updatesPerSecond ?? 0, b?.latencyP50 ?? 0, b?.latencyP99 ?? 0))
        if let api = b?.botAPI {
            var line = "Bot API: \(api.calls) calls, \(api.failed) failed, \(api.tooManyRequests) 429s, "
                + String(format: "%.1f s waited for flood limits", api.floodWaitSeconds)
            if let previous, let before = previous.status.broker?.botAPI, now > previous.at {
                let seconds = now - previous.at
                line += String(format: " (now: %.0f calls/s, %.2f s/s waiting)", Double(api.calls - before.calls) / seconds,
                               max(0, api.floodWaitSeconds - before.floodWaitSeconds) / seconds)
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
