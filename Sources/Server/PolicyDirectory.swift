import MTASTS

/// Loads `DIR/<domain>.txt` policy files (non-recursive). Symlinks are followed, so an alias file
/// `alias.example.txt -> example.com.txt` serves the same policy for the alias domain, and Kubernetes'
/// `..data` mounts work. Which names count is decided in `PolicyDirectory+Names.swift`.
public enum PolicyDirectory {
    /// Throws only when the directory itself cannot be listed; every file problem is a diagnostic, and a
    /// file with an error is left out of `policies` and listed in `rejectedFiles`.
    public static func load(directory: String) throws -> PolicyDirectoryReport {
        var report = PolicyDirectoryReport()
        for name in try entryNames(in: directory) {
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            switch classify(name) {
            case .ignored:
                continue
            case .other:
                guard isRegularFile(path) else { continue }
                report.add(Diagnostic(severity: .warning, line: 0, column: 0,
                                      message: "not a policy file (ignored): policy files are named <domain>.txt",
                                      fix: "rename it to <domain>.txt, or move it out of the directory"), path: path)
            case .policy(let domain):
                loadPolicy(domain: domain, path: path, into: &report)
            }
        }
        report.policies.sort { $0.domain < $1.domain }
        report.rejectedFiles.sort()
        return report
    }

    private static func loadPolicy(domain: String, path: String, into report: inout PolicyDirectoryReport) {
        var rejected = false
        for diagnostic in nameDiagnostics(domain: domain) {
            report.add(diagnostic, path: path)
            rejected = rejected || diagnostic.severity == .error
        }
        let bytes: [UInt8]
        switch readPolicyFile(path) {
        case .bytes(let read):
            bytes = read
        case .failed(let message, let fix):
            report.add(Diagnostic(severity: .error, line: 0, column: 0, message: message, fix: fix), path: path)
            report.rejectedFiles.append(path)
            return
        }
        let result = PolicyParser.parse(bytes)
        for diagnostic in result.diagnostics {
            report.add(diagnostic, path: path)
        }
        if let policy = result.policy, !rejected {
            report.policies.append(LoadedPolicy(domain: domain, path: path, policy: policy))
        } else {
            report.rejectedFiles.append(path)
        }
    }
}
