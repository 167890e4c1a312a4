/// The checks `verify` runs for a domain, named as the output shows them.
public enum CheckName: String, Sendable, CaseIterable {
    case dnsTXT = "dns-txt"
    case dnsID = "dns-id"
    case policyFetch = "policy-fetch"
    case policySyntax = "policy-syntax"
    case mxCoverage = "mx-coverage"
    case mxTLS = "mx-tls"
    case tlsrpt
}

/// How one check ended. `warn` fails a run only with `--strict`.
public enum CheckStatus: String, Sendable, Comparable {
    case pass, warn, fail, skip

    public static func < (lhs: CheckStatus, rhs: CheckStatus) -> Bool { lhs.severity < rhs.severity }

    private var severity: Int {
        switch self {
        case .skip: 0
        case .pass: 1
        case .warn: 2
        case .fail: 3
        }
    }
}

/// One line of the report: which check, on what (a DNS name, a URL, an MX host, a policy pattern), how it ended.
public struct CheckResult: Sendable, Equatable {
    public let check: CheckName
    public let target: String
    public let status: CheckStatus
    public let message: String

    public init(_ check: CheckName, _ target: String, _ status: CheckStatus, _ message: String) {
        self.check = check
        self.target = target
        self.status = status
        self.message = message
    }
}

/// Every check of one domain, in the order they ran.
public struct DomainVerification: Sendable, Equatable {
    public let domain: String
    public let checks: [CheckResult]

    public init(domain: String, checks: [CheckResult]) {
        self.domain = domain
        self.checks = checks
    }

    /// Whether the run fails: a failed check, or with `strict` a warning too.
    public func fails(strict: Bool) -> Bool {
        checks.contains { $0.status == .fail || (strict && $0.status == .warn) }
    }
}
