/// Which mode a mistyped `mode:` value meant, so the fix names it instead of a generic advice.
extension PolicyMode {
    /// The mode `value` is a near miss of (`enforced`, `enforcing`, `tesing`, `non`, any case), or nil when none is
    /// close enough to guess: `strict` or `on` could mean anything, and a wrong guess is worse than none.
    /// Close means a few edits away (fewer for the short `none`) or sharing its first four letters.
    public static func nearest(to value: String) -> PolicyMode? {
        let typed = ASCII.lowercased(value.utf8)
        guard !typed.isEmpty else { return nil }
        var best: (mode: PolicyMode, distance: Int)?
        var tie = false
        for mode in allCases {
            let name = Array(mode.rawValue.utf8)
            let distance = editDistance(typed, name)
            let sharedPrefix = zip(typed, name).prefix { $0 == $1 }.count
            guard distance <= max(1, name.count / 3) || sharedPrefix >= 4 else { continue }
            if let current = best, current.distance <= distance {
                tie = tie || current.distance == distance
                continue
            }
            best = (mode, distance)
            tie = false
        }
        return tie ? nil : best?.mode
    }

    /// Edits (insert, delete, replace, swap two neighbours) turning `a` into `b`: the optimal string alignment
    /// distance, so the common `enfroce` counts as one slip, not two.
    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var beforePrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = Swift.min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            (beforePrevious, previous, current) = (previous, current, beforePrevious)
        }
        return previous[b.count]
    }
}
