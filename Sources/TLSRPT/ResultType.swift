/// The result types of RFC 8460 §4.3, each with what it means and what fixes it. A type outside the list is
/// counted under its own name and treated as a bounce under `enforce`: unknown is not safe.
public enum ResultType {
    public struct Advice: Sendable, Equatable {
        public let meaning: String
        public let fix: String
        /// Whether a sender applying this domain's policy in `enforce` mode would refuse to deliver instead.
        public let bouncesUnderEnforce: Bool
    }

    public static let known: [String: Advice] = [
        "starttls-not-supported": Advice(meaning: "the MX did not offer STARTTLS",
                                         fix: "enable STARTTLS on the receiving MX", bouncesUnderEnforce: true),
        "certificate-host-mismatch": Advice(meaning: "the MX certificate does not name the MX host",
                                            fix: "add the MX host name to the certificate's SANs", bouncesUnderEnforce: true),
        "certificate-expired": Advice(meaning: "the MX certificate has expired",
                                      fix: "renew the MX certificate", bouncesUnderEnforce: true),
        "certificate-not-trusted": Advice(meaning: "the MX certificate does not chain to a public root",
                                          fix: "use a publicly trusted certificate and send the full chain",
                                          bouncesUnderEnforce: true),
        "validation-failure": Advice(meaning: "the MX did not validate against the policy (often an MX not listed in it)",
                                     fix: "add the MX to the policy's mx: lines, or fix the MX records",
                                     bouncesUnderEnforce: true),
        "tlsa-invalid": Advice(meaning: "DANE: the TLSA records did not match",
                               fix: "fix the TLSA records or the MX certificate", bouncesUnderEnforce: false),
        "dnssec-invalid": Advice(meaning: "DANE: the DNSSEC chain did not validate",
                                 fix: "fix the zone's DNSSEC signatures", bouncesUnderEnforce: false),
        "dane-required": Advice(meaning: "DANE was required but not usable",
                                fix: "publish valid TLSA records", bouncesUnderEnforce: false),
        "sts-policy-fetch-error": Advice(meaning: "the sender could not fetch the policy over HTTPS",
                                         fix: "check that mta-sts.<domain> resolves to this host and its certificate is valid",
                                         bouncesUnderEnforce: false),
        "sts-policy-invalid": Advice(meaning: "the sender could not parse the policy",
                                     fix: "run mta-sts-host check on the policy", bouncesUnderEnforce: false),
        "sts-webpki-invalid": Advice(meaning: "the policy host's certificate did not validate",
                                     fix: "renew or fix the certificate of mta-sts.<domain>", bouncesUnderEnforce: true),
    ]

    public static func advice(_ type: String) -> Advice {
        known[type] ?? Advice(meaning: "a result type outside RFC 8460", fix: "read the sender's additional-information",
                              bouncesUnderEnforce: true)
    }
}
