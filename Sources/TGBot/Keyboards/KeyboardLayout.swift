/// Rows from buttons and row sizes, the last size repeating (shared by both keyboards).
enum KeyboardLayout {
    static func rows<B>(of buttons: [B], sizes: [Int]) -> [[B]] {
        guard !sizes.isEmpty else { return buttons.isEmpty ? [] : [buttons] }
        var rows: [[B]] = []
        var i = 0, row = 0
        while i < buttons.count {
            let size = sizes[min(row, sizes.count - 1)]
            rows.append(Array(buttons[i..<min(i + size, buttons.count)]))
            i += size
            row += 1
        }
        return rows
    }
}
