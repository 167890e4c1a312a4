/// One policy entry of one stored report, as the index keeps it and the summaries read it.
public struct PolicyRow: Sendable, Equatable {
    public var organization: String
    public var reportID: String
    public var startTime: Int
    public var endTime: Int
    public var domain: String
    public var type: String
    /// The reported policy-string, lines joined with LF.
    public var policyString: String
    public var successfulSessions: Int
    public var failedSessions: Int
    public var failures: [Failure]

    public struct Failure: Sendable, Equatable {
        public var resultType: String
        public var receivingMX: String?
        public var sessions: Int
        public init(resultType: String, receivingMX: String?, sessions: Int) {
            self.resultType = resultType
            self.receivingMX = receivingMX
            self.sessions = sessions
        }
    }

    public init(organization: String, reportID: String, startTime: Int, endTime: Int, domain: String, type: String,
                policyString: String, successfulSessions: Int, failedSessions: Int, failures: [Failure]) {
        self.organization = organization
        self.reportID = reportID
        self.startTime = startTime
        self.endTime = endTime
        self.domain = domain
        self.type = type
        self.policyString = policyString
        self.successfulSessions = successfulSessions
        self.failedSessions = failedSessions
        self.failures = failures
    }

    /// The rows of a report, one per policy entry.
    public static func rows(of report: TLSReport) -> [PolicyRow] {
        report.policies.map { policy in
            PolicyRow(organization: report.organization, reportID: report.reportID, startTime: report.startTime,
                      endTime: report.endTime, domain: policy.domain, type: policy.type,
                      policyString: policy.policyString.joined(separator: "\n"),
                      successfulSessions: policy.successfulSessions, failedSessions: policy.failedSessions,
                      failures: policy.failures.map {
                          Failure(resultType: $0.resultType, receivingMX: $0.receivingMXHostname, sessions: $0.failedSessions)
                      })
        }
    }

    /// The `mode:` of the reported policy-string.
    public var reportedMode: String? {
        PolicyResult(type: type, domain: domain, policyString: policyString.split(separator: "\n").map(String.init),
                     successfulSessions: 0, failedSessions: 0).reportedMode
    }
}

/// A policy this host served for a domain, by id, from when (`serve --reports` keeps the history in the index).
public struct ServedPolicy: Sendable, Equatable {
    public var domain: String
    public var id: String
    public var mode: String
    public var firstServed: Int

    public init(domain: String, id: String, mode: String, firstServed: Int = 0) {
        self.domain = domain
        self.id = id
        self.mode = mode
        self.firstServed = firstServed
    }
}
