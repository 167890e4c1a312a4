/// What a policy file's name says: the file name is the served domain, so it must already be in the form SNI names
/// arrive in. Findings about the name alone, for `policies/<domain>.txt`.
public enum PolicyFileName {
    /// `example.com` → `example.com.txt`.
    public static func fileName(forDomain domain: String) -> String { domain + ".txt" }

    /// `policies/example.com.txt` (or the bare file name) → `example.com`: the domain a policy file serves; nil when
    /// the name does not end in `.txt`.
    public static func domain(ofPath path: String) -> String? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard name.hasSuffix(".txt") else { return nil }
        return String(name.dropLast(4))
    }

    /// Findings about `domain`, the file name without its final `.txt`.
    public static func diagnostics(domain: String) -> [Diagnostic] {
        var found: [Diagnostic] = []
        // `example.com.txt.txt` (a file manager hiding one extension) is served, but as `example.com.txt`, a name no
        // sender asks for: say so instead of letting the mail domain go without a policy in silence.
        var intended = domain
        if domain.hasSuffix(".txt"), domain.count > 4 {
            intended = String(domain.dropLast(4))
            found.append(Diagnostic(severity: .warning, line: 0, column: 0,
                                    message: "file name ends in .txt.txt: it is served for \"\(domain)\", not \"\(intended)\"",
                                    fix: "rename it to \(intended).txt"))
        }
        if let problem = DomainName.policyDomainProblem(domain) {
            var fix = "rename it to <domain>.txt: the mail domain in lower case, IDNs as xn-- A-labels"
            if let ascii = DomainName.toASCII(intended), DomainName.isValidPolicyDomain(ascii), ascii != domain {
                fix = "rename it to \(ascii).txt"
            }
            found.append(Diagnostic(severity: .error, line: 0, column: 0,
                                    message: "file name is not a valid policy domain: \"\(domain)\" \(problem)", fix: fix))
            return found
        }
        if domain.hasPrefix(DNSRecords.policyHostPrefix) {
            let mailDomain = domain.dropFirst(DNSRecords.policyHostPrefix.count)
            found.append(Diagnostic(severity: .warning, line: 0, column: 0,
                                    message: "\"\(domain)\" looks like the policy host, not the mail domain; "
                                        + "this file is served as \(DNSRecords.policyHost(forDomain: domain))",
                                    fix: "name the file for the mail domain: \(mailDomain).txt"))
        }
        return found
    }
}
