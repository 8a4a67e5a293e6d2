extension Duration {
    /// The duration in seconds, as a `Double` (timings, metrics, `Date` arithmetic). Within
    /// ±9.2 s (any handler's or request's time) from its attoseconds as one 64-bit integer:
    /// its `components`, read twice, divided a 128-bit integer by 10^18 each time (~420
    /// instructions a reading, once per job in a worker's metrics), and `Double(attoseconds)`
    /// goes through the standard library's unspecialised generic conversion (~2,500).
    package var seconds: Double {
        let attoseconds = attoseconds
        let top = attoseconds &>> 63
        if top == 0 || top == -1 { return Double(Int64(truncatingIfNeeded: attoseconds)) / 1e18 }
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
