import MTASTS

/// The served state as JSON: per domain the policy id (what DNS must carry), mode, source file, certificates
/// and any pending error. Read by `mta-sts-host status` and, later, the admin endpoint.
public enum StatusDocument {
    public static func render(_ catalog: Catalog, report: CatalogLoader.Report, generatedAt: Int) -> String {
        let pendingErrors = Dictionary(grouping: report.policyDiagnostics.filter { $0.diagnostic.severity == .error },
                                       by: { CatalogLoader.domainOfPolicyFile($0.path) ?? $0.path })
        var domains: [String] = []
        for domain in catalog.policies.keys.sorted() {
            let policy = catalog.policies[domain]!
            let host = Catalog.hostName(forDomain: domain)
            let certificates = (catalog.certificates.pairs(forServerName: host) ?? []).map { pair in
                object([("file", quote(pair.certificatePath)), ("key_type", quote(pair.keyType.rawValue)),
                        ("not_after", "\(pair.notAfter)")])
            }
            var fields: [(String, String)] = [
                ("domain", quote(domain)), ("id", quote(policy.id)), ("mode", quote(policy.policy.mode.rawValue)),
                ("max_age", "\(policy.policy.maxAge)"), ("mx", array(policy.policy.mx.map(quote))),
                ("source", quote(policy.path)), ("host", quote(host)), ("certificates", array(certificates)),
            ]
            if let errors = pendingErrors[domain] {
                fields.append(("pending_errors", array(errors.map { quote($0.description) })))
            }
            domains.append(object(fields))
        }
        let rejected = report.rejectedPolicyFiles.map(quote)
        return object([
            ("generated_at", "\(generatedAt)"),
            ("domains", array(domains)),
            ("rejected_policy_files", array(rejected)),
            ("certificate_problems", array(report.certificateProblems.map(quote))),
        ]) + "\n"
    }

    private static func quote(_ text: String) -> String { JSONString.quoted(text) }
    private static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
    private static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { quote($0.0) + ":" + $0.1 }.joined(separator: ",") + "}"
    }
}
