import MTASTS

/// Everything one pass over a policy directory found.
public struct PolicyDirectoryReport: Sendable {
    /// Valid policies, sorted by domain.
    public var policies: [LoadedPolicy]
    /// By file name order, then by position in the file; file-level findings (line 0) first.
    public var diagnostics: [PolicyFileDiagnostic]
    public var errorCount: Int
    public var warningCount: Int
    /// Policy files (`*.txt`) not served because of an error, sorted.
    public var rejectedFiles: [String]

    public init(policies: [LoadedPolicy] = [], diagnostics: [PolicyFileDiagnostic] = [], errorCount: Int = 0,
                warningCount: Int = 0, rejectedFiles: [String] = []) {
        self.policies = policies
        self.diagnostics = diagnostics
        self.errorCount = errorCount
        self.warningCount = warningCount
        self.rejectedFiles = rejectedFiles
    }

    /// Policy files looked at: served plus rejected (ignored files do not count).
    public var checkedFileCount: Int {
        policies.count + rejectedFiles.count
    }

    /// Takes in another report's policies, findings and rejections (one file's, loaded on another thread).
    mutating func append(_ other: PolicyDirectoryReport) {
        policies += other.policies
        diagnostics += other.diagnostics
        errorCount += other.errorCount
        warningCount += other.warningCount
        rejectedFiles += other.rejectedFiles
    }

    /// Appends and counts.
    public mutating func add(_ diagnostic: Diagnostic, path: String) {
        diagnostics.append(PolicyFileDiagnostic(path: path, diagnostic: diagnostic))
        switch diagnostic.severity {
        case .error: errorCount += 1
        case .warning: warningCount += 1
        }
    }

    /// `check --strict`: every warning becomes an error, and a policy with one is rejected.
    public func promotingWarnings() -> PolicyDirectoryReport {
        var strict = PolicyDirectoryReport(rejectedFiles: rejectedFiles)
        for item in diagnostics {
            var diagnostic = item.diagnostic
            diagnostic.severity = .error
            strict.add(diagnostic, path: item.path)
        }
        let failing = Set(strict.diagnostics.map(\.path))
        strict.policies = policies.filter { !failing.contains($0.path) }
        strict.rejectedFiles += policies.filter { failing.contains($0.path) }.map(\.path)
        strict.rejectedFiles.sort()
        return strict
    }
}
