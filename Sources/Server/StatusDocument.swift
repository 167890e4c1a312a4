import MTASTS

/// The served state as JSON: per domain the policy id (what DNS must carry), mode, source file, certificates
/// and any pending error. Read by `mta-sts-host status` and, later, the admin endpoint.
public enum StatusDocument {
    public static func render(_ catalog: Catalog, report: CatalogLoader.Report, generatedAt: Int) -> String {
        let pendingErrors = Dictionary(grouping: report.policyDiagnostics.filter { $0.diagnostic.severity == .error },
                                       by: { CatalogLoader.domainOfPolicyFile($0.path) ?? $0.path })
        let domains: [JSONValue] = catalog.policies.keys.sorted().map { domain in
            let policy = catalog.policies[domain]!
            let host = Catalog.hostName(forDomain: domain)
            let certificates: [JSONValue] = (catalog.certificates.pairs(forServerName: host) ?? []).map { pair in
                .object([("file", .string(pair.certificatePath)), ("key_type", .string(pair.keyType.rawValue)),
                         ("not_after", .int(pair.notAfter))])
            }
            var fields: [(String, JSONValue)] = [
                ("domain", .string(domain)), ("id", .string(policy.id)), ("mode", .string(policy.policy.mode.rawValue)),
                ("max_age", .int(policy.policy.maxAge)), ("mx", .array(policy.policy.mx.map(JSONValue.string))),
                ("source", .string(policy.path)), ("host", .string(host)), ("certificates", .array(certificates)),
            ]
            if let errors = pendingErrors[domain] {
                fields.append(("pending_errors", .array(errors.map { .string($0.description) })))
            }
            return .object(fields)
        }
        return JSONValue.object([
            ("generated_at", .int(generatedAt)),
            ("domains", .array(domains)),
            ("rejected_policy_files", .array(report.rejectedPolicyFiles.map(JSONValue.string))),
            ("certificate_problems", .array(report.certificateProblems.map(JSONValue.string))),
        ]).compact + "\n"
    }
}
