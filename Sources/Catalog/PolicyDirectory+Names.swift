import MTASTS

/// Which directory entries are policy files, and what their names must look like.
extension PolicyDirectory {
    package enum EntryKind: Equatable {
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

    package static func classify(_ name: String) -> EntryKind {
        if name.hasPrefix(".") || name.hasPrefix("README") || (name.hasPrefix("#") && name.hasSuffix("#")) {
            return .ignored
        }
        if leftoverSuffixes.contains(where: name.hasSuffix) { return .ignored }
        guard let domain = PolicyFileName.domain(ofPath: name) else { return .other }
        return .policy(domain: domain)
    }

    /// The file name is the served domain; the rules are in `PolicyFileName`.
    static func nameDiagnostics(domain: String) -> [Diagnostic] {
        PolicyFileName.diagnostics(domain: domain)
    }
}
