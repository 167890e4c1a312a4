/// Accumulates a policy line by line: which keys were seen where, their values, and the diagnostics.
/// `PolicyParser` drives it; the field rules live in `PolicyBuilder+Fields.swift`.
struct PolicyBuilder {
    let bytes: [UInt8]
    private(set) var diagnostics: [Diagnostic] = []

    // Single-valued keys remember the line of their first occurrence, to name it in duplicate errors.
    // A line whose value was invalid still counts as present, so a "missing" error never repeats it.
    var versionLine: Int?
    var modeLine: Int?
    var modeColumn = 0
    var mode: PolicyMode?
    var maxAgeLine: Int?
    var maxAgeColumn = 0
    var maxAge: Int?
    var mx: [String] = []
    var mxFirstLine: [String: Int] = [:]
    var mxLineCount = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func error(_ line: Int, _ column: Int, _ message: String, fix: String? = nil) {
        diagnostics.append(Diagnostic(severity: .error, line: line, column: column, message: message, fix: fix))
    }

    mutating func warning(_ line: Int, _ column: Int, _ message: String, fix: String? = nil) {
        diagnostics.append(Diagnostic(severity: .warning, line: line, column: column, message: message, fix: fix))
    }

    /// `key: value` with optional spaces or tabs after the colon; trailing spaces and tabs are dropped.
    mutating func consume(_ line: PolicyLine) {
        var start = line.contentStart
        let end = line.end
        let column = { (offset: Int) in offset - line.start + 1 }
        if start == end, start != line.start { return }  // only a byte order mark, already reported
        if bytes[start..<end].allSatisfy(ASCII.isSpaceOrTab) {
            error(line.number, column(start), start == end ? "blank line" : "blank line (only spaces or tabs)",
                  fix: "remove it; a policy has no empty lines")
            return
        }
        let colon = bytes[start..<end].firstIndex(of: ASCII.colon)
        if let bad = bytes[start..<end].firstIndex(where: Self.isForbidden) {
            reportForbiddenByte(at: bad, line: line, colon: colon)
            return
        }
        if ASCII.isSpaceOrTab(bytes[start]) {
            error(line.number, column(start), "line starts with whitespace",
                  fix: "remove the leading spaces or tabs (a policy has no continuation lines)")
            while ASCII.isSpaceOrTab(bytes[start]) { start += 1 }
        }
        guard let colon else {
            reportMissingColon(line: line, from: start)
            return
        }
        var keyEnd = colon
        while keyEnd > start, ASCII.isSpaceOrTab(bytes[keyEnd - 1]) { keyEnd -= 1 }
        guard keyEnd > start else {
            error(line.number, column(colon), "line has no key before the colon (found \(ByteText.quoted(bytes[start..<end])))",
                  fix: "write \"key: value\", e.g. \"mode: testing\"")
            return
        }
        var valueStart = colon + 1
        while valueStart < end, ASCII.isSpaceOrTab(bytes[valueStart]) { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart, ASCII.isSpaceOrTab(bytes[valueEnd - 1]) { valueEnd -= 1 }
        let key = Array(bytes[start..<keyEnd])
        let value = Array(bytes[valueStart..<valueEnd])
        if keyEnd < colon {
            error(line.number, column(keyEnd),
                  "whitespace before the colon in \(ByteText.quoted(bytes[start...colon]))",
                  fix: "write \"\(ASCII.string(key)): \(ASCII.string(value))\"")
        }
        field(key: key, keyColumn: column(start), value: value, valueColumn: column(valueStart), line: line.number)
    }

    /// `mode testing` or `mode=testing`: when the first word is a key, say how to write the line.
    private mutating func reportMissingColon(line: PolicyLine, from start: Int) {
        let text = bytes[start..<line.end]
        let wordEnd = text.firstIndex { ASCII.isSpaceOrTab($0) || $0 == UInt8(ascii: "=") } ?? line.end
        var valueStart = wordEnd
        while valueStart < line.end, ASCII.isSpaceOrTab(bytes[valueStart]) || bytes[valueStart] == UInt8(ascii: "=") {
            valueStart += 1
        }
        let key = Self.knownKey(resembling: Array(bytes[start..<wordEnd]))
        let fix = key.map { "write \"\($0): \(ASCII.string(bytes[valueStart..<line.end]))\"" }
            ?? "write \"key: value\", e.g. \"mode: testing\""
        error(line.number, start - line.start + 1,
              "line has no colon; expected \"key: value\" (found \(ByteText.quoted(text)))", fix: fix)
    }

    /// Whole-file rules (required keys, mx when enforcing or testing, max_age advice), then the result.
    mutating func finish() -> PolicyParseResult {
        if versionLine == nil {
            error(1, 1, "policy has no version line", fix: "add \"version: STSv1\" as the first line")
        }
        if modeLine == nil {
            error(1, 1, "policy has no mode line", fix: "add \"mode: testing\" (or enforce, or none)")
        }
        if maxAgeLine == nil {
            error(1, 1, "policy has no max_age line", fix: "add \"max_age: 604800\" (seconds; one week)")
        }
        if let mode, let modeLine, mode != .none, mxLineCount == 0 {
            error(modeLine, modeColumn, "mode \(mode.rawValue) needs at least one mx line",
                  fix: "add \"mx: <host>\" for each MX host of the domain (or one wildcard such as \"*.mx.example.net\")")
        }
        adviseOnMaxAge()
        // Stable: findings on one line keep the order they were found in.
        let sorted = diagnostics.enumerated().sorted {
            ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
        }.map(\.element)
        let policy = mode.flatMap { mode in maxAge.map { Policy(mode: mode, mx: mx, maxAge: $0) } }
        return PolicyParseResult(policy: policy, diagnostics: sorted)
    }

    /// Advice, not rules: RFC 8461 §3.2 expects max_age "in the range of weeks or greater". Skipped for
    /// mode none, where a short max_age is the documented way to retire a policy (§8.3).
    private mutating func adviseOnMaxAge() {
        guard let mode, let maxAge, let maxAgeLine, mode != .none else { return }
        if maxAge < PolicyLimits.oneDay {
            warning(maxAgeLine, maxAgeColumn, "max_age \(maxAge) is under one day (86400)",
                    fix: "senders lose protection when the policy expires; use 86400 or more (weeks once it is stable)")
        } else if mode == .enforce, maxAge < PolicyLimits.oneWeek {
            warning(maxAgeLine, maxAgeColumn, "max_age \(maxAge) is under one week (604800) for mode enforce",
                    fix: "RFC 8461 expects weeks or more, e.g. \"max_age: 1209600\" (two weeks)")
        }
    }
}
