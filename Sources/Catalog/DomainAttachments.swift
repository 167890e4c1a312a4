/// What the status document shows of each domain beyond the catalog, filled in by the parts of the server that
/// work in the background (the ACME issuer, the DNS publisher, the verifier, the report receiver); the catalog only
/// renders it.
public struct DomainAttachments: Sendable {
    /// By host name (`mta-sts.<domain>`).
    public var issuance: [String: IssuanceStatus] = [:]
    /// By domain.
    public var publication: [String: PublicationStatus] = [:]
    /// By domain.
    public var verification: [String: VerificationStatus] = [:]
    /// By domain: the last TLS-RPT report stored (`serve --reports`).
    public var reports: [String: ReportStatus] = [:]

    public init() {}
}

/// One domain's last background `verify` (`serve --verify-every`): when, and each check as `verify` prints it.
public struct VerificationStatus: Sendable, Equatable {
    public struct Check: Sendable, Equatable {
        public let check: String
        public let target: String
        public let status: String
        public let message: String

        public init(check: String, target: String, status: String, message: String) {
            self.check = check
            self.target = target
            self.status = status
            self.message = message
        }
    }

    /// Unix seconds.
    public var checkedAt: Int
    public var checks: [Check]

    public init(checkedAt: Int, checks: [Check]) {
        self.checkedAt = checkedAt
        self.checks = checks
    }
}
