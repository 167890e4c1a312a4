import Catalog
import FoundationEssentials
import MTASTS

/// Decodes status.json and renders it as a table for people. Every string from the file is escaped: file names
/// can hold control characters.
enum StatusTable {
    struct Status: Decodable {
        struct Certificate: Decodable {
            let file: String
            let key_type: String
            let not_after: Int
        }
        /// The ACME issuer's state for the domain's host, when it issues one.
        struct Issuance: Decodable {
            let next_attempt: Int?
            let ordering_since: Int?
            let failures: Int
            let last_error: String?
        }
        /// The `_mta-sts` TXT publication state (`serve --dns-update`).
        struct Publication: Decodable {
            let published_id: String?
            let pending_id: String?
            let failures: Int
            let last_error: String?
            let next_attempt: Int?
        }
        struct Domain: Decodable {
            let domain: String
            let state: String
            let id: String
            let mode: String?
            let max_age: Int?
            let source: String?
            let certificates: [Certificate]
            let pending_errors: [String]?
            let acme: Issuance?
            let dns_update: Publication?
            let verify: Verification?
        }
        struct Verification: Decodable {
            struct Check: Decodable {
                let check: String
                let target: String
                let status: String
                let message: String
            }
            let checked_at: Int
            let checks: [Check]
        }
        let generated_at: Int
        let pid: Int32
        let process_start: UInt64
        let problems: [String]
        let domains: [Domain]
        let rejected_policy_files: [String]
        let certificate_problems: [String]

        var facts: StatusCheck.Facts {
            StatusCheck.Facts(generatedAt: generated_at, writer: ProcessIdentity(pid: pid, startTicks: process_start),
                              problems: problems, domainStates: domains.map { (domain: $0.domain, state: $0.state) },
                              rejectedPolicyFiles: rejected_policy_files, certificateProblems: certificate_problems)
        }

        var servedCount: Int { domains.filter { $0.state == DomainState.served.rawValue }.count }
    }

    static func decode(json: String) throws -> Status {
        try JSONDecoder().decode(Status.self, from: Data(json.utf8))
    }

    /// One line for a healthy server: how many domains are served.
    static func summary(_ status: Status) -> String {
        "ok: \(status.servedCount) domains served, \(status.rejected_policy_files.count) policy files rejected"
    }

    static func render(_ status: Status, now: Int) -> String {
        let escape = PlainText.escaped
        var rows = [["DOMAIN", "STATE", "ID", "MODE", "MAX_AGE", "CERTIFICATE", "SOURCE"]]
        for domain in status.domains {
            let expiry = domain.certificates.map(\.not_after).max().map { "expires in \(($0 - now) / 86400) d" } ?? "NONE"
            rows.append([escape(domain.domain), domain.state, domain.id, domain.mode ?? "-",
                         domain.max_age.map { "\($0)" } ?? "-", expiry, escape(domain.source ?? "-")])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            zip(row.dropLast(), widths).map { $0 + String(repeating: " ", count: $1 - $0.count) + "  " }.joined() + row.last!
        }
        for domain in status.domains {
            guard let errors = domain.pending_errors else { continue }
            lines.append(domain.state == DomainState.rejectedPolicy.rawValue
                ? "\(escape(domain.domain)): its file has errors and there is no earlier version to serve:"
                : "\(escape(domain.domain)): its file has errors; the last good policy is still served:")
            lines += errors.map { "  " + escape($0) }
        }
        for domain in status.domains {
            guard let acme = domain.acme, acme.failures > 0 else { continue }
            let next = acme.next_attempt.map { "next attempt in \(max($0 - now, 0)) s" } ?? "ordering again now"
            lines.append("\(escape(domain.domain)): certificate order failed \(acme.failures) time"
                + "\(acme.failures == 1 ? "" : "s") (\(next)): \(escape(acme.last_error ?? "unknown error"))")
        }
        for domain in status.domains {
            guard let dns = domain.dns_update, dns.failures > 0 else { continue }
            let next = dns.next_attempt.map { "next attempt in \(max($0 - now, 0)) s" } ?? "updating again now"
            lines.append("\(escape(domain.domain)): DNS update of id=\(escape(dns.pending_id ?? "-")) failed \(dns.failures) time"
                + "\(dns.failures == 1 ? "" : "s") (\(next); DNS has id=\(escape(dns.published_id ?? "unknown"))): "
                + escape(dns.last_error ?? "unknown error"))
        }
        for domain in status.domains {
            guard let verify = domain.verify else { continue }
            for check in verify.checks where check.status == "fail" {
                lines.append("\(escape(domain.domain)): verify \(check.check) \(escape(check.target)) failed "
                    + "\(max(now - verify.checked_at, 0)) s ago: \(escape(check.message))")
            }
        }
        lines += status.problems.map { "problem: " + escape($0) }
        lines += status.rejected_policy_files.map { "rejected: " + escape($0) }
        lines += status.certificate_problems.map { "certificate: " + escape($0) }
        lines.append("\(status.servedCount) of \(status.domains.count) domains served; status written "
            + "\(now - status.generated_at) s ago by pid \(status.pid)")
        return lines.joined(separator: "\n")
    }
}
