/// What the metrics say of a domain's checks: one series per (domain, check), however many targets the check
/// had (one per MX for `mx-tls`). Pure.
struct VerificationSummary: Equatable {
    struct Key: Hashable, Sendable {
        let domain: String
        let check: CheckName
    }

    /// false when any target of the check failed; a check that was only skipped has no entry.
    var passing: [Key: Bool] = [:]
    /// How many targets of the check warned (a certificate expiring within 14 days, an unused mx entry).
    var warnings: [Key: Int] = [:]

    init(_ results: [DomainVerification]) {
        for domain in results {
            for check in domain.checks where check.status != .skip {
                let key = Key(domain: domain.domain, check: check.check)
                passing[key] = (passing[key] ?? true) && check.status != .fail
                warnings[key, default: 0] += check.status == .warn ? 1 : 0
            }
        }
    }
}
