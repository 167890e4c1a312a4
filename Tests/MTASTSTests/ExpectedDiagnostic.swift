import MTASTS

/// What a test expects of one diagnostic: where it is, how bad, and a fragment of its message.
struct ExpectedDiagnostic: Sendable, CustomStringConvertible {
    var severity: Diagnostic.Severity
    var line: Int
    var column: Int
    var fragment: String

    func matches(_ diagnostic: Diagnostic) -> Bool {
        diagnostic.severity == severity && diagnostic.line == line && diagnostic.column == column
            && diagnostic.message.contains(fragment)
    }

    var description: String { "\(line):\(column): \(severity.rawValue): …\(fragment)…" }
}

func error(_ line: Int, _ column: Int, _ fragment: String) -> ExpectedDiagnostic {
    ExpectedDiagnostic(severity: .error, line: line, column: column, fragment: fragment)
}

func warning(_ line: Int, _ column: Int, _ fragment: String) -> ExpectedDiagnostic {
    ExpectedDiagnostic(severity: .warning, line: line, column: column, fragment: fragment)
}
