/// Validation of one `mx` value: a host name, or `*.` and a host name, since RFC 8461 §4.1 lets a
/// wildcard stand only for the whole left-most label. Matching is the senders' business, not ours.
enum MXPattern {
    enum Verdict: Equatable {
        /// The lower-case pattern; `singleLabel` when the host part has no dot (legal, but never right).
        case valid(String, singleLabel: Bool)
        /// `offset` indexes the value; `message` names it.
        case invalid(offset: Int, message: String, fix: String?)
    }

    static let wildcardFix = "write \"*.\" and a domain, e.g. \"mx: *.mx.example.net\""

    static func check(_ value: [UInt8]) -> Verdict {
        let lower = ASCII.lowercased(value)
        let name = "mx \(ByteText.quoted(value))"
        if lower == [ASCII.star] || lower == [ASCII.star, ASCII.dot] {
            return .invalid(offset: 0, message: "\(name) is a bare wildcard", fix: wildcardFix)
        }
        let isWildcard = lower.starts(with: [ASCII.star, ASCII.dot])
        let baseOffset = isWildcard ? 2 : 0
        let base = Array(lower.dropFirst(baseOffset))
        if let star = lower[baseOffset...].firstIndex(of: ASCII.star) {
            let firstLabelEnd = lower.firstIndex(of: ASCII.dot) ?? lower.count
            let message = star < firstLabelEnd
                ? "\(name): a wildcard must be the whole left-most label (\"*.\")"
                : "\(name) has a wildcard below the left-most label"
            return .invalid(offset: star, message: message, fix: wildcardFix)
        }
        if let problem = HostnameSyntax.problem(in: base) {
            var fix: String?
            let trimmed = Array(lower.dropLast())
            if problem.message == "ends with a dot", case .valid(let host, _) = check(trimmed) {
                fix = "write \"mx: \(host)\" (no trailing dot)"
            }
            return .invalid(offset: baseOffset + problem.offset, message: "\(name) \(problem.message)", fix: fix)
        }
        return .valid(ASCII.string(lower), singleLabel: !base.contains(ASCII.dot))
    }
}
