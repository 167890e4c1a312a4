import HTTP
import MTASTS
import TLS

/// Everything a request needs, as one immutable snapshot: swapped whole on reload, never edited.
public final class Catalog: Sendable {
    /// Served policies by mail domain.
    public let policies: [String: LoadedPolicy]
    /// Rendered responses by host name (`mta-sts.<domain>`).
    private let responses: [String: PolicyResponse]
    public let certificates: CertificateIndex
    public let selection: ServerNameSelection
    package let responder: PolicyResponder

    public convenience init(policies: [LoadedPolicy], certificates: CertificateIndex, defaultHost: String?) {
        var byDomain: [String: LoadedPolicy] = [:]
        var responses: [String: PolicyResponse] = [:]
        for policy in policies {
            byDomain[policy.domain] = policy
            responses[Self.hostName(forDomain: policy.domain)] = PolicyResponse(policyID: policy.id, body: policy.canonical)
        }
        self.init(policies: byDomain, responses: responses, certificates: certificates,
                  selection: ServerNameSelection(index: certificates, defaultHost: defaultHost))
    }

    private init(policies: [String: LoadedPolicy], responses: [String: PolicyResponse], certificates: CertificateIndex,
                 selection: ServerNameSelection) {
        self.policies = policies
        self.responses = responses
        self.certificates = certificates
        self.selection = selection
        self.responder = PolicyResponder { [responses] host in responses[host] }
    }

    /// A copy with some domains' policies replaced (nil removes one); everything else is shared, not rebuilt.
    func updating(_ changes: [String: LoadedPolicy?]) -> Catalog {
        var policies = self.policies
        var responses = self.responses
        for (domain, policy) in changes {
            policies[domain] = policy
            responses[Self.hostName(forDomain: domain)] = policy.map { PolicyResponse(policyID: $0.id, body: $0.canonical) }
        }
        return Catalog(policies: policies, responses: responses, certificates: certificates, selection: selection)
    }

    /// The HTTPS host senders fetch a domain's policy from (RFC 8461 §3.3).
    public static func hostName(forDomain domain: String) -> String { DNSRecords.policyHost(forDomain: domain) }

    /// Whether `host` is the `mta-sts.` host of a served domain (aliases included).
    public func serves(host: String) -> Bool { responses[host] != nil }

    /// Domains with a policy but no certificate for their `mta-sts.` host: senders cannot fetch these.
    public var uncoveredDomains: [String] {
        policies.keys.filter { !certificates.covers(Self.hostName(forDomain: $0)) }.sorted()
    }
}
