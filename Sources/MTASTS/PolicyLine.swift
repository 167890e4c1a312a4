/// One line of a policy file without its line end. Offsets index the whole file, so columns and quotes
/// come straight from the original bytes.
struct PolicyLine: Equatable {
    /// 1-based, counted by LF: the number editors and `grep -n` show.
    var number: Int
    /// Offset of the line's first byte; column 1.
    var start: Int
    /// Where parsing begins: `start`, or after a byte order mark on line 1.
    var contentStart: Int
    /// End of the content (exclusive), before the LF or CRLF.
    var end: Int

    /// Splits at LF, dropping one CR right before it (CRLF). A CR anywhere else stays in the content, where
    /// it is reported as a bare CR; it does not split, so line numbers match what editors show.
    /// A missing final line end is fine; an empty last "line" after the final LF is not a line.
    static func split(_ bytes: [UInt8]) -> [PolicyLine] {
        var lines: [PolicyLine] = []
        var start = 0
        for index in bytes.indices where bytes[index] == ASCII.lf {
            var end = index
            if end > start, bytes[end - 1] == ASCII.cr { end -= 1 }
            lines.append(PolicyLine(number: lines.count + 1, start: start, contentStart: start, end: end))
            start = index + 1
        }
        if start < bytes.count {
            lines.append(PolicyLine(number: lines.count + 1, start: start, contentStart: start, end: bytes.count))
        }
        return lines
    }

    /// 1-based line and column of the byte at `offset`.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for index in 0..<min(offset, bytes.count) where bytes[index] == ASCII.lf {
            line += 1
            lineStart = index + 1
        }
        return (line, offset - lineStart + 1)
    }
}
