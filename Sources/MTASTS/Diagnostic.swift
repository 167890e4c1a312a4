/// One finding about a policy file, positioned like a compiler message.
public struct Diagnostic: Equatable, Sendable {
    public enum Severity: String, Sendable {
        case error, warning
    }

    public var severity: Severity
    /// 1-based line; 0 when the finding concerns the whole file (its name, reading it).
    public var line: Int
    /// 1-based byte column of the offending byte or value; 0 with line 0.
    public var column: Int
    /// Names what was found, e.g. `mode must be one of enforce, testing, none (found "Enforce")`.
    public var message: String
    /// What to write instead, when that can be said.
    public var fix: String?

    public init(severity: Severity, line: Int, column: Int, message: String, fix: String? = nil) {
        self.severity = severity
        self.line = line
        self.column = column
        self.message = message
        self.fix = fix
    }
}

extension Diagnostic: CustomStringConvertible {
    /// `3:7: error: message`, then `  fix: ...` on its own line when there is a fix.
    public var description: String {
        var text = line > 0 ? "\(line):\(column): " : ""
        text += "\(severity.rawValue): \(message)"
        if let fix {
            text += "\n  fix: \(fix)"
        }
        return text
    }
}
