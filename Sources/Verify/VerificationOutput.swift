import MTASTS

/// Renders `verify`'s results: one line per check for people, one JSON document for automation (the same
/// objects appear in `/status` under each domain's `verify`).
public enum VerificationOutput {
    /// `example.com: mx-tls mx1.example.com: fail: timed out at connect to 192.0.2.1:25`, then a summary line.
    public static func text(_ results: [DomainVerification]) -> String {
        var out = ""
        for domain in results {
            for check in domain.checks {
                // Names and messages come from DNS and remote servers: escaped, they cannot forge a line.
                out += PlainText.escaped("\(domain.domain): \(check.check.rawValue) \(check.target): "
                                             + "\(check.status.rawValue): \(check.message)") + "\n"
            }
        }
        let all = results.flatMap(\.checks)
        let counts = [CheckStatus.pass, .warn, .fail, .skip].map { status in
            "\(all.filter { $0.status == status }.count) \(status.rawValue)"
        }
        let domains = results.count == 1 ? "1 domain" : "\(results.count) domains"
        return out + "verified \(domains): " + counts.joined(separator: ", ") + "\n"
    }

    /// `{"domains": [{"domain": ..., "checks": [{"check", "target", "status", "message"}]}]}`.
    public static func json(_ results: [DomainVerification]) -> JSONValue {
        .object([("domains", .array(results.map { domain in
            .object([("domain", .string(domain.domain)), ("checks", checks(domain.checks))])
        }))])
    }

    public static func checks(_ checks: [CheckResult]) -> JSONValue {
        .array(checks.map { check in
            .object([("check", .string(check.check.rawValue)), ("target", .string(check.target)),
                     ("status", .string(check.status.rawValue)), ("message", .string(check.message))])
        })
    }
}
