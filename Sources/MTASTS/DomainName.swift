/// Rules for the mail domains a policy is served for (the policy file names).
public enum DomainName {
    /// A lower-case A-label host name of at least two labels, without a trailing dot: exactly the form
    /// that appears in `mta-sts.<domain>` SNI names, so lookups never need case folding.
    public static func isValidPolicyDomain(_ name: String) -> Bool {
        policyDomainProblem(name) == nil
    }

    /// Why `name` is not a valid policy domain, phrased to follow the quoted name
    /// (`"Example.com" has upper case letters`), or nil when it is valid.
    public static func policyDomainProblem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        if bytes.contains(where: { $0 >= 0x80 }) {
            return "is not ASCII (use its A-label, xn--...)"
        }
        if bytes.contains(where: ASCII.isUpper) {
            return "has upper case letters"
        }
        if let problem = HostnameSyntax.problem(in: bytes) {
            return problem.message
        }
        if !bytes.contains(ASCII.dot) {
            return "has a single label (a mail domain has at least two)"
        }
        return nil
    }

    /// IDNA-ish ToASCII: lower case, then each non-ASCII label as `xn--` + RFC 3492 Punycode. There is no
    /// NFC normalization or IDNA mapping table: enough to tell an operator which A-label to write.
    /// Returns nil only if Punycode overflows.
    public static func toASCII(_ name: String) -> String? {
        var labels: [String] = []
        for label in name.lowercased().split(separator: ".", omittingEmptySubsequences: false) {
            if label.utf8.allSatisfy({ $0 < 0x80 }) {
                labels.append(String(label))
            } else {
                guard let encoded = Punycode.encode(String(label)) else { return nil }
                labels.append("xn--" + encoded)
            }
        }
        return labels.joined(separator: ".")
    }
}
