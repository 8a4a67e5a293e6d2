/// A value the compiler cannot prove `Sendable` but that is only read (a compiled regex).
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
