import MTASTS

/// One TLS-RPT report (RFC 8460 §4), as much of it as the summaries read. The file stored on disk is the report as
/// received, so fields not modelled here (contact-info, additional-information, extensions) are never lost.
public struct TLSReport: Sendable, Equatable {
    public var organization: String
    public var reportID: String
    /// Seconds since the epoch, UTC (a date-time without a zone is read as UTC, as Microsoft sends it).
    public var startTime: Int
    public var endTime: Int
    public var contactInfo: String?
    public var policies: [PolicyResult]

    public init(organization: String, reportID: String, startTime: Int, endTime: Int, contactInfo: String? = nil,
                policies: [PolicyResult]) {
        self.organization = organization
        self.reportID = reportID
        self.startTime = startTime
        self.endTime = endTime
        self.contactInfo = contactInfo
        self.policies = policies
    }

    /// The policy domains the report is about, lower-cased, without a trailing dot.
    public var policyDomains: [String] {
        var seen: Set<String> = []
        return policies.map(\.domain).filter { seen.insert($0).inserted }
    }
}

/// One entry of `policies`: the policy a sender applied to one domain, its session counts and failures.
public struct PolicyResult: Sendable, Equatable {
    /// `sts`, `tlsa` or `no-policy-found` (kept as sent when it is something else).
    public var type: String
    public var domain: String
    /// The policy as the sender saw it, one line per element (empty for `no-policy-found`).
    public var policyString: [String]
    /// Google sends an array, the RFC's example a string: either becomes a list.
    public var mxHosts: [String]
    public var successfulSessions: Int
    public var failedSessions: Int
    public var failures: [FailureDetail]

    public init(type: String, domain: String, policyString: [String] = [], mxHosts: [String] = [],
                successfulSessions: Int, failedSessions: Int, failures: [FailureDetail] = []) {
        self.type = type
        self.domain = domain
        self.policyString = policyString
        self.mxHosts = mxHosts
        self.successfulSessions = successfulSessions
        self.failedSessions = failedSessions
        self.failures = failures
    }

    /// The `mode:` line of the reported policy-string, if any.
    public var reportedMode: String? {
        for line in policyString {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, ASCII.trimmingWhitespace(parts[0]).lowercased() == "mode" else { continue }
            return ASCII.trimmingWhitespace(parts[1]).lowercased()
        }
        return nil
    }
}

/// One `failure-details` entry. Empty strings, as some senders send for fields they do not know, become nil.
public struct FailureDetail: Sendable, Equatable {
    /// Kept as sent (lower-cased): an unknown type is counted under its own name (`ResultType` knows the RFC's).
    public var resultType: String
    public var sendingMTAIP: String?
    public var receivingMXHostname: String?
    public var receivingIP: String?
    public var failedSessions: Int
    public var failureReasonCode: String?

    public init(resultType: String, sendingMTAIP: String? = nil, receivingMXHostname: String? = nil,
                receivingIP: String? = nil, failedSessions: Int, failureReasonCode: String? = nil) {
        self.resultType = resultType
        self.sendingMTAIP = sendingMTAIP
        self.receivingMXHostname = receivingMXHostname
        self.receivingIP = receivingIP
        self.failedSessions = failedSessions
        self.failureReasonCode = failureReasonCode
    }
}
