/// The DNS records an operator publishes for one mail domain served by this host (RFC 8461 §3.1):
/// the `_mta-sts` TXT record carrying the policy id, and a suggested TLS-RPT record (RFC 8460).
public struct DNSRecords: Equatable, Sendable {
    public var domain: String
    public var id: String
    public var ttl: Int
    /// This host receives the domain's TLS-RPT reports (`serve --reports`): the https rua is the record to
    /// publish, rather than a suggested mailbox.
    public var receivesReports: Bool

    public init(domain: String, id: String, ttl: Int = 3600, receivesReports: Bool = false) {
        self.domain = domain
        self.id = id
        self.ttl = ttl
        self.receivesReports = receivesReports
    }

    /// The name senders connect to; it must resolve to this server.
    public var policyHost: String { Self.policyHost(forDomain: domain) }

    /// The HTTPS host senders fetch a domain's policy from (RFC 8461 §3.3): `mta-sts.<domain>`. The one definition;
    /// the catalog's `Catalog.hostName(forDomain:)` is this.
    public static func policyHost(forDomain domain: String) -> String { policyHostPrefix + domain }
    /// What `policyHost` puts before the domain, for the places that recognise a policy host by its name.
    public static let policyHostPrefix = "mta-sts."
    /// Without a trailing dot; the zone form adds it.
    public var stsName: String { "_mta-sts.\(domain)" }
    public var stsValue: String { "\(Self.stsVersionPrefix); id=\(id)" }
    /// What every MTA-STS TXT record starts with (RFC 8461 §3.1): how an updater tells it from other TXT records.
    public static let stsVersionPrefix = "v=STSv1"
    public var tlsrptName: String { "_smtp._tls.\(domain)" }
    /// A guess at a reporting address: the operator has to choose a real mailbox.
    public var tlsrptValue: String { "v=TLSRPTv1; rua=mailto:tlsrpt@\(domain)" }
    /// Reports POSTed to this host (RFC 8460 §5.4), where `serve --reports` stores them.
    public var tlsrptHTTPSValue: String { "v=TLSRPTv1; rua=https://\(policyHost)/tlsrpt" }

    /// Zone-file lines: the TXT record, plus comments for the host name and an optional TLS-RPT record.
    public var zoneText: String {
        if receivesReports {
            return """
                ; \(policyHost) must resolve to this host (A/AAAA, or a CNAME to it).
                \(stsName). \(ttl) IN TXT "\(stsValue)"
                ; TLS reports (RFC 8460), received by this host (serve --reports):
                \(tlsrptName). \(ttl) IN TXT "\(tlsrptHTTPSValue)"
                ; or to a mailbox you read instead:
                ; \(tlsrptName). \(ttl) IN TXT "\(tlsrptValue)"

                """
        }
        return """
        ; \(policyHost) must resolve to this host (A/AAAA, or a CNAME to it).
        \(stsName). \(ttl) IN TXT "\(stsValue)"
        ; Optional TLS reporting (RFC 8460); use a mailbox you read:
        ; \(tlsrptName). \(ttl) IN TXT "\(tlsrptValue)"

        """
    }

    /// One JSON object for automation (DNS APIs): names without a trailing dot.
    public var json: String {
        let fields: [(String, String)] = [
            ("domain", JSONString.quoted(domain)),
            ("id", JSONString.quoted(id)),
            ("name", JSONString.quoted(stsName)),
            ("type", JSONString.quoted("TXT")),
            ("ttl", String(ttl)),
            ("value", JSONString.quoted(stsValue)),
            ("policy_host", JSONString.quoted(policyHost)),
        ] + (receivesReports ? [("tlsrpt_name", JSONString.quoted(tlsrptName)),
                                ("tlsrpt_value", JSONString.quoted(tlsrptHTTPSValue))] : [])
        return "{" + fields.map { "\(JSONString.quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}
