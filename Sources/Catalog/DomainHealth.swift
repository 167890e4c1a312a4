import MTASTS
import TLS

/// Whether senders can fetch a domain's policy: a valid policy *and* a usable certificate for its
/// `mta-sts.` host. `status`, `/status`, `status --check` and `mta_sts_domains` all report this one verdict.
public enum DomainState: String, Sendable, CaseIterable {
    case served
    case noCertificate = "no_certificate"
    case certificateExpired = "certificate_expired"
    /// A policy file with errors and no last good version to keep serving.
    case rejectedPolicy = "rejected_policy"
}

/// Decides each domain's state from a catalog (pure, for tests).
public enum DomainHealth {
    /// Every served domain, plus the domains of rejected files that have no last good policy.
    public static func states(_ catalog: Catalog, rejectedPolicyFiles: [String], now: Int) -> [String: DomainState] {
        var states: [String: DomainState] = [:]
        for domain in catalog.policies.keys {
            states[domain] = state(ofHost: Catalog.hostName(forDomain: domain), in: catalog.certificates, now: now)
        }
        for file in rejectedPolicyFiles {
            guard let domain = PolicyFileName.domain(ofPath: file), states[domain] == nil else { continue }
            states[domain] = .rejectedPolicy
        }
        return states
    }

    static func state(ofHost host: String, in certificates: CertificateIndex, now: Int) -> DomainState {
        guard let pairs = certificates.pairs(forServerName: host), !pairs.isEmpty else { return .noCertificate }
        return pairs.contains { $0.notAfter > now } ? .served : .certificateExpired
    }

    /// How many domains are in each state, every state present (a gauge per state).
    public static func counts(_ states: [String: DomainState]) -> [DomainState: Int] {
        var counts = Dictionary(uniqueKeysWithValues: DomainState.allCases.map { ($0, 0) })
        for state in states.values { counts[state, default: 0] += 1 }
        return counts
    }
}
