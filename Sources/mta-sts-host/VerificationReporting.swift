import Catalog
import Verify

/// Between the background verifier and the server: which domains to check (each served policy, with the
/// canonical form and id the catalog holds), and how the results appear in the status document.
enum VerificationReporting {
    static func localPolicies(_ catalog: Catalog) -> [String: LocalPolicy] {
        catalog.policies.mapValues { LocalPolicy(id: $0.id, canonical: $0.canonical) }
    }

    static func status(_ latest: (checkedAt: Int, byDomain: [String: DomainVerification])) -> [String: VerificationStatus] {
        latest.byDomain.mapValues { result in
            VerificationStatus(checkedAt: latest.checkedAt, checks: result.checks.map {
                .init(check: $0.check.rawValue, target: $0.target, status: $0.status.rawValue, message: $0.message)
            })
        }
    }
}
