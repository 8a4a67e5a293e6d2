import Foundation

/// Runs `body` (which handles `items` items) for `rounds` rounds after a warm-up and returns
/// the median seconds per item.
func medianSecondsPerItem(rounds: Int = 7, items: Int, _ body: () throws -> Void) rethrows -> Double {
    try body()  // warm-up
    var perItem: [Double] = []
    let clock = ContinuousClock()
    for _ in 0..<rounds {
        let start = clock.now
        try body()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        perItem.append(seconds / Double(items))
    }
    perItem.sort()
    return perItem[perItem.count / 2]
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func lpad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}

func fixed(_ v: Double, _ digits: Int) -> String {
    String(format: "%.\(digits)f", v)
}

/// Keeps a value alive so the optimizer cannot drop the work that made it.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
