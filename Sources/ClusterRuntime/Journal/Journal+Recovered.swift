import Wire

extension Journal {
    /// What `recover` read back.
    package struct Recovered: Sendable {
        /// Accepted and not completed, in journal order.
        package var unfinished: [UpdateEnvelope] = []
        /// Every update id in the retained journal (for deduplication).
        package var seen: [Int64] = []
        package var segments = 0
        package var records = 0
        package var skipped = 0
        package var truncatedBytes = 0
    }
}
