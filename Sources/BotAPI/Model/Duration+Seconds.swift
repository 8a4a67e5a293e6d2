extension Duration {
    /// The duration in seconds, as a `Double` (timings, metrics, `Date` arithmetic).
    package var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
