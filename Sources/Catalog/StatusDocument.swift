import MTASTS

/// The served state as JSON, published to `/status` and to status.json in --state-dir (which `mta-sts-host status`
/// reads): when it was written (`generated_at`, re-stamped at every write) and by whom (`pid`, `process_start`), so
/// a file left by a stopped server is not mistaken for a running one; the server's own problems; per domain its
/// state, host, policy (the id DNS must carry, mode, max_age, mx, source file), certificates and pending errors;
/// then the rejected policy files and the certificate problems of the last load.
public enum StatusDocument {
    /// Everything but the time stamp: rendered once per load, stamped at every write.
    public static func render(_ catalog: Catalog, report: CatalogLoader.Report, states: [String: DomainState],
                              problems: [String], writer: ProcessIdentity?,
                              attachments: DomainAttachments = DomainAttachments()) -> String {
        let pendingErrors = Dictionary(grouping: report.policyDiagnostics.filter { $0.diagnostic.severity == .error },
                                       by: { PolicyFileName.domain(ofPath: $0.path) ?? $0.path })
        let domains: [JSONValue] = states.keys.sorted().map { domain in
            let host = Catalog.hostName(forDomain: domain)
            let state = states[domain] ?? .rejectedPolicy
            var fields: [(String, JSONValue)] = [("domain", .string(domain)), ("state", .string(state.rawValue))]
            if let policy = catalog.policies[domain] {
                let certificates: [JSONValue] = (catalog.certificates.pairs(forServerName: host) ?? []).map { pair in
                    .object([("file", .string(pair.certificatePath)),
                             ("source", .string(catalog.certificates.isIssued(pair) ? "acme" : "file")),
                             ("key_type", .string(pair.keyType.rawValue)),
                             ("not_after", .int(pair.notAfter)), ("hosts", .array(pair.dnsNames.map(JSONValue.string)))])
                }
                fields += [
                    ("id", .string(policy.id)), ("mode", .string(policy.policy.mode.rawValue)),
                    ("max_age", .int(policy.policy.maxAge)), ("mx", .array(policy.policy.mx.map(JSONValue.string))),
                    ("source", .string(policy.path)), ("host", .string(host)), ("certificates", .array(certificates)),
                ]
            } else {
                fields += [("id", .string("")), ("host", .string(host)), ("certificates", .array([]))]
            }
            if let acme = attachments.issuance[host] {
                var acmeFields: [(String, JSONValue)] = [
                    (acme.ordering ? "ordering_since" : "next_attempt", .int(acme.nextAttempt)),
                    ("failures", .int(acme.failures)),
                ]
                if let error = acme.lastError { acmeFields.append(("last_error", .string(error))) }
                fields.append(("acme", .object(acmeFields)))
            }
            if let dns = attachments.publication[domain] {
                var dnsFields: [(String, JSONValue)] = [
                    ("published_id", dns.publishedID.map(JSONValue.string) ?? .null),
                    ("failures", .int(dns.failures)),
                ]
                if dns.pending { dnsFields.append(("pending_id", dns.pendingID.map(JSONValue.string) ?? .null)) }
                if let error = dns.lastError { dnsFields.append(("last_error", .string(error))) }
                if let next = dns.nextAttempt { dnsFields.append(("next_attempt", .int(next))) }
                fields.append(("dns_update", .object(dnsFields)))
            }
            if let last = attachments.reports[domain] {
                fields.append(("last_report", .object([
                    ("organization", .string(last.organization)), ("report_id", .string(last.reportID)),
                    ("end", .int(last.endTime)), ("received_at", .int(last.receivedAt)),
                ])))
            }
            if let verification = attachments.verification[domain] {
                let checks: [JSONValue] = verification.checks.map { check in
                    .object([("check", .string(check.check)), ("target", .string(check.target)),
                             ("status", .string(check.status)), ("message", .string(check.message))])
                }
                fields.append(("verify", .object([("checked_at", .int(verification.checkedAt)), ("checks", .array(checks))])))
            }
            if let errors = pendingErrors[domain] {
                fields.append(("pending_errors", .array(errors.map { .string($0.description) })))
            }
            return .object(fields)
        }
        return JSONValue.object([
            ("pid", .int(Int(writer?.pid ?? 0))), ("process_start", .int(Int(writer?.startTicks ?? 0))),
            ("problems", .array(problems.map(JSONValue.string))),
            ("domains", .array(domains)),
            ("rejected_policy_files", .array(report.rejectedPolicyFiles.map(JSONValue.string))),
            ("certificate_problems", .array(report.certificateProblems.map(JSONValue.string))),
        ]).compact
    }

    /// The whole document: `generated_at` first, then the rendered fields.
    public static func stamped(_ rendered: String, generatedAt: Int) -> String {
        "{\"generated_at\":\(generatedAt)," + rendered.dropFirst() + "\n"
    }
}
