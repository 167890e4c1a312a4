import MTASTS

/// Which directory entries are policy files, and what their names must look like.
extension PolicyDirectory {
    enum EntryKind: Equatable {
        /// Dotfiles (`.swp` swap files, Kubernetes `..data`), editor and package-manager leftovers, and
        /// documentation: skipped silently, because they are expected in an edited directory.
        case ignored
        /// Anything else that is not `*.txt`: warned about, since it is often a misnamed policy.
        case other
        case policy(domain: String)
    }

    private static let leftoverSuffixes = [
        "~", ".swp", ".swo", ".swx", ".bak", ".orig", ".rej", ".tmp", ".dpkg-old", ".dpkg-new", ".dpkg-dist",
        ".rpmnew", ".rpmsave", ".md",
    ]

    static func classify(_ name: String) -> EntryKind {
        if name.hasPrefix(".") || name.hasPrefix("README") || (name.hasPrefix("#") && name.hasSuffix("#")) {
            return .ignored
        }
        if leftoverSuffixes.contains(where: name.hasSuffix) { return .ignored }
        guard name.hasSuffix(".txt") else { return .other }
        return .policy(domain: String(name.dropLast(4)))
    }

    /// The file name is the served domain, so it must already be in the form SNI names arrive in.
    static func nameDiagnostics(domain: String) -> [Diagnostic] {
        if let problem = DomainName.policyDomainProblem(domain) {
            var fix = "rename it to <domain>.txt: the mail domain in lower case, IDNs as xn-- A-labels"
            if let ascii = DomainName.toASCII(domain), ascii != domain, DomainName.isValidPolicyDomain(ascii) {
                fix = "rename it to \(ascii).txt"
            }
            return [Diagnostic(severity: .error, line: 0, column: 0,
                               message: "file name is not a valid policy domain: \"\(domain)\" \(problem)", fix: fix)]
        }
        if domain.hasPrefix("mta-sts.") {
            let mailDomain = domain.dropFirst("mta-sts.".count)
            return [Diagnostic(severity: .warning, line: 0, column: 0,
                               message: "\"\(domain)\" looks like the policy host, not the mail domain; "
                                   + "this file is served as mta-sts.\(domain)",
                               fix: "name the file for the mail domain: \(mailDomain).txt")]
        }
        return []
    }
}
