import HTTP
import MTASTS
import TLS

/// Everything a request needs, as one immutable snapshot: swapped whole on reload, never edited.
public final class Catalog: Sendable {
    /// Served policies by mail domain.
    public let policies: [String: LoadedPolicy]
    /// Rendered responses by host name (`mta-sts.<domain>`).
    let responses: [String: PolicyResponse]
    public let certificates: CertificateIndex
    public let selection: ServerNameSelection
    let responder: PolicyResponder

    public init(policies: [LoadedPolicy], certificates: CertificateIndex, defaultHost: String?) {
        var byDomain: [String: LoadedPolicy] = [:]
        var responses: [String: PolicyResponse] = [:]
        for policy in policies {
            byDomain[policy.domain] = policy
            responses[Self.hostName(forDomain: policy.domain)] = PolicyResponse(policyID: policy.id, body: policy.canonical)
        }
        self.policies = byDomain
        self.responses = responses
        self.certificates = certificates
        self.selection = ServerNameSelection(index: certificates, defaultHost: defaultHost)
        self.responder = PolicyResponder { [responses] host in responses[host] }
    }

    /// The HTTPS host senders fetch a domain's policy from (RFC 8461 §3.3).
    public static func hostName(forDomain domain: String) -> String { "mta-sts." + domain }

    /// Domains with a policy but no certificate for their `mta-sts.` host: senders cannot fetch these.
    public var uncoveredDomains: [String] {
        policies.keys.filter { !certificates.covers(Self.hostName(forDomain: $0)) }.sorted()
    }
}
