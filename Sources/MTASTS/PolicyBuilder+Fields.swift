/// The rules for each key's value (RFC 8461 §3.2).
extension PolicyBuilder {
    static let knownKeys = ["version", "mode", "mx", "max_age"]

    mutating func field(key: [UInt8], keyColumn: Int, value: [UInt8], valueColumn: Int, line: Int) {
        switch ASCII.string(key) {
        case "version": version(value, column: valueColumn, keyColumn: keyColumn, line: line)
        case "mode": mode(value, column: valueColumn, keyColumn: keyColumn, line: line)
        case "max_age": maxAge(value, column: valueColumn, keyColumn: keyColumn, line: line)
        case "mx": mx(value, column: valueColumn, line: line)
        default: unknownKey(key, column: keyColumn, line: line)
        }
    }

    /// Records a known key whose line is otherwise unusable, so it is neither "missing" nor parsed.
    mutating func notePresent(_ key: String, line: Int, keyColumn: Int) {
        switch key {
        case "version": versionLine = versionLine ?? line
        case "mode": if modeLine == nil { modeLine = line; modeColumn = keyColumn }
        case "max_age": if maxAgeLine == nil { maxAgeLine = line; maxAgeColumn = keyColumn }
        case "mx": mxLineCount += 1
        default: break
        }
    }

    private mutating func duplicate(_ key: String, first: Int, line: Int, column: Int) {
        // RFC 8461 keeps the first copy, postfix-mta-sts-resolver the last: never let them disagree.
        error(line, column, "duplicate \(key) line (the first is on line \(first))",
              fix: "keep one \(key) line; senders disagree on which copy wins")
    }

    private mutating func version(_ value: [UInt8], column: Int, keyColumn: Int, line: Int) {
        if let first = versionLine { return duplicate("version", first: first, line: line, column: keyColumn) }
        versionLine = line
        if line != 1 {
            warning(line, keyColumn, "version should be the first line (found on line \(line))",
                    fix: "move \"version: STSv1\" to the top (the served policy always starts with it)")
        }
        if value.isEmpty { return error(line, column, "version has no value", fix: "write \"version: STSv1\"") }
        if value != Array("STSv1".utf8) {
            let caseOnly = ASCII.lowercased(value) == Array("stsv1".utf8)
            error(line, column, "version must be STSv1 (found \(ByteText.quoted(value)))",
                  fix: "write \"version: STSv1\"" + (caseOnly ? " (values are case-sensitive)" : ""))
        }
    }

    private mutating func mode(_ value: [UInt8], column: Int, keyColumn: Int, line: Int) {
        if let first = modeLine { return duplicate("mode", first: first, line: line, column: keyColumn) }
        modeLine = line
        modeColumn = column
        guard let parsed = PolicyMode(rawValue: ASCII.string(value)) else {
            let lower = ASCII.string(ASCII.lowercased(value))
            let fix = PolicyMode(rawValue: lower).map { "write \"mode: \($0.rawValue)\" (values are case-sensitive)" }
                ?? PolicyMode.nearest(to: lower).map { "did you mean \($0.rawValue)? write \"mode: \($0.rawValue)\"" }
                ?? "write \"mode: testing\" to start, \"mode: enforce\" once reports are clean"
            let found = value.isEmpty ? "mode has no value; it must be one of enforce, testing, none"
                : "mode must be one of enforce, testing, none (found \(ByteText.quoted(value)))"
            return error(line, column, found, fix: fix)
        }
        mode = parsed
    }

    private mutating func maxAge(_ value: [UInt8], column: Int, keyColumn: Int, line: Int) {
        if let first = maxAgeLine { return duplicate("max_age", first: first, line: line, column: keyColumn) }
        maxAgeLine = line
        maxAgeColumn = column
        if value.isEmpty {
            return error(line, column, "max_age has no value",
                         fix: "write the cache lifetime in seconds, e.g. \"max_age: 604800\" (one week)")
        }
        if let bad = value.firstIndex(where: { !ASCII.isDigit($0) }) {
            return error(line, column + bad, "max_age must be decimal digits (found \(ByteText.quoted(value)))",
                         fix: Self.maxAgeFix(value))
        }
        if value.count > PolicyLimits.maxAgeDigits {
            return error(line, column, "max_age has more than 10 digits (found \(ByteText.quoted(value)))",
                         fix: "write at most \(PolicyLimits.maxAge) seconds, without leading zeros")
        }
        // At most 10 digits, so no overflow is possible.
        let seconds = value.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        if seconds > PolicyLimits.maxAge {
            return error(line, column, "max_age must be at most \(PolicyLimits.maxAge) (found \(ASCII.string(value)))",
                         fix: "write \"max_age: \(PolicyLimits.maxAge)\" (about a year, the maximum)")
        }
        maxAge = seconds
    }

    /// Repairs the usual mistakes: a sign (`+86400`) or a unit (`1d`, `2w`).
    static func maxAgeFix(_ value: [UInt8]) -> String {
        let generic = "give seconds as digits only, e.g. \"max_age: 604800\" (one week)"
        if value.first == UInt8(ascii: "+"), value.count > 1, value.dropFirst().allSatisfy(ASCII.isDigit) {
            return "write \"max_age: \(ASCII.string(value.dropFirst()))\" (no sign)"
        }
        let units: [UInt8: Int] = [0x73: 1, 0x6D: 60, 0x68: 3600, 0x64: 86_400, 0x77: 604_800]  // s m h d w
        guard let last = value.last, let unit = units[ASCII.lowercased(last)] else { return generic }
        let digits = value.dropLast()
        guard !digits.isEmpty, digits.count <= 8, digits.allSatisfy(ASCII.isDigit) else { return generic }
        let seconds = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) } * unit
        guard seconds <= PolicyLimits.maxAge else { return generic }
        return "write \"max_age: \(seconds)\" (the value is in seconds, without a unit)"
    }

    private mutating func mx(_ value: [UInt8], column: Int, line: Int) {
        mxLineCount += 1
        if value.isEmpty {
            return error(line, column, "mx has no value",
                         fix: "write an MX host, e.g. \"mx: mail.example.com\" or \"mx: *.mx.example.net\"")
        }
        switch MXPattern.check(value) {
        case .invalid(let offset, let message, let fix):
            error(line, column + offset, message, fix: fix)
        case .valid(let host, let singleLabel):
            if let first = mxFirstLine[host] {
                return warning(line, column, "duplicate mx \"\(host)\" (the first is on line \(first))",
                               fix: "remove this line; the served policy lists it once")
            }
            mxFirstLine[host] = line
            mx.append(host)
            if value.contains(where: ASCII.isUpper) {
                warning(line, column, "mx \(ByteText.quoted(value)) has upper case letters; served as \"\(host)\"",
                        fix: "write \"mx: \(host)\"")
            }
            if singleLabel {
                warning(line, column, "mx \(ByteText.quoted(value)) is a single label",
                        fix: "MX hosts are fully qualified names, e.g. \"mx: mail.example.com\"")
            }
        }
    }

    /// RFC 8461 allows extension keys; they are warned about and left out of the served body.
    private mutating func unknownKey(_ key: [UInt8], column: Int, line: Int) {
        let known = Self.knownKey(resembling: key)
        guard Self.isExtensionName(key) else {
            return error(line, column,
                         "invalid key \(ByteText.quoted(key)) (keys are letters, digits, \"_\", \"-\" and \".\")",
                         fix: known.map { "write \"\($0):\"" })
        }
        warning(line, column, "unknown key \(ByteText.quoted(key)) (ignored and left out of the served policy)",
                fix: known.map { "keys are case-sensitive and spelled exactly: write \"\($0):\"" })
    }

    /// `Version`, `MAX-AGE`, `max age`, `maxage` all resemble a known key.
    static func knownKey(resembling key: [UInt8]) -> String? {
        let folded = ASCII.lowercased(key).compactMap { byte -> UInt8? in
            byte == ASCII.hyphen || byte == ASCII.space || byte == UInt8(ascii: "_") ? nil : byte
        }
        return knownKeys.first { Array($0.utf8).filter { $0 != UInt8(ascii: "_") } == folded }
    }

    /// RFC 8461 §3.2 `sts-policy-ext-name`: `(ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")`.
    static func isExtensionName(_ key: [UInt8]) -> Bool {
        guard let first = key.first, ASCII.isLetterOrDigit(first), key.count <= 32 else { return false }
        return key.dropFirst().allSatisfy {
            ASCII.isLetterOrDigit($0) || $0 == UInt8(ascii: "_") || $0 == ASCII.hyphen || $0 == ASCII.dot
        }
    }
}
