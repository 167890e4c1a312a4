/// How `verify` (and `serve --verify-every`) reach the deployment.
public struct VerifySettings: Sendable {
    /// `ADDR[:PORT]`, or nil for /etc/resolv.conf.
    public var resolver: String?
    /// One PEM file that replaces the system's trust store (tests).
    public var trustFile: String?
    public var httpsPort: UInt16
    public var smtpPort: UInt16
    /// Each check's own budget: a DNS query, a connect, each SMTP step, a handshake.
    public var timeoutSeconds: Int
    /// Domains checked at once; each MX of a domain is probed at the same time.
    public var concurrentDomains: Int

    public init(resolver: String? = nil, trustFile: String? = nil, httpsPort: UInt16 = 443, smtpPort: UInt16 = 25,
                timeoutSeconds: Int = 10, concurrentDomains: Int = 32) {
        self.resolver = resolver
        self.trustFile = trustFile
        self.httpsPort = httpsPort
        self.smtpPort = smtpPort
        self.timeoutSeconds = timeoutSeconds
        self.concurrentDomains = concurrentDomains
    }

    /// RFC 8461 leaves the fetch budget to senders; postfix-mta-sts-resolver allows 4 seconds, so a policy host
    /// slower than that is one some senders never read.
    static let policyFetchBudgetSeconds = 4

    var timeout: Duration { .seconds(timeoutSeconds) }
}
