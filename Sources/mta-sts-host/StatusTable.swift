import FoundationEssentials

/// Renders status.json as a table for people.
enum StatusTable {
    struct Status: Decodable {
        struct Certificate: Decodable {
            let file: String
            let key_type: String
            let not_after: Int
        }
        struct Domain: Decodable {
            let domain: String
            let id: String
            let mode: String
            let max_age: Int
            let source: String
            let certificates: [Certificate]
            let pending_errors: [String]?
        }
        let generated_at: Int
        let domains: [Domain]
        let rejected_policy_files: [String]
        let certificate_problems: [String]
    }

    /// One line: how many domains are served and how many files are rejected.
    static func summary(json: String) throws -> String {
        let status = try JSONDecoder().decode(Status.self, from: Data(json.utf8))
        return "ok: \(status.domains.count) domains served, \(status.rejected_policy_files.count) policy files rejected"
    }

    static func render(json: String) throws -> String {
        let status = try JSONDecoder().decode(Status.self, from: Data(json.utf8))
        let now = Int(Date().timeIntervalSince1970)
        var rows = [["DOMAIN", "ID", "MODE", "MAX_AGE", "CERTIFICATE", "SOURCE"]]
        for domain in status.domains {
            let expiry = domain.certificates.map(\.not_after).min().map { "expires in \(($0 - now) / 86400) d" } ?? "NONE"
            rows.append([domain.domain, domain.id, domain.mode, "\(domain.max_age)", expiry, domain.source])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            zip(row.dropLast(), widths).map { $0 + String(repeating: " ", count: $1 - $0.count) + "  " }.joined() + row.last!
        }
        for domain in status.domains {
            guard let errors = domain.pending_errors else { continue }
            lines.append("\(domain.domain): its file has errors; the last good policy is still served:")
            lines += errors.map { "  " + $0 }
        }
        lines += status.rejected_policy_files.map { "rejected: \($0)" }
        lines += status.certificate_problems.map { "certificate: \($0)" }
        lines.append("\(status.domains.count) domains served; status written \(now - status.generated_at) s ago")
        return lines.joined(separator: "\n")
    }
}
