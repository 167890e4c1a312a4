/// Reads a TLS-RPT report from its JSON, tolerating what real senders do: date-times without a zone, `mx-host` as
/// an array, counts as strings, empty failure-detail fields, unknown fields. Refuses what is not a report at all.
public enum TLSReportParser {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Not JSON.
        case invalidJSON
        /// JSON, but not a report: the reason names the first missing or unusable field.
        case notAReport(String)

        public var description: String {
            switch self {
            case .invalidJSON: "invalid JSON"
            case .notAReport(let reason): "not a TLS-RPT report: \(reason)"
            }
        }
    }

    public static func parse(_ bytes: [UInt8]) -> Result<TLSReport, Failure> {
        guard let tree = try? JSONTree.parse(bytes) else { return .failure(.invalidJSON) }
        return report(tree)
    }

    static func report(_ tree: JSONTree) -> Result<TLSReport, Failure> {
        guard case .object = tree else { return .failure(.notAReport("not a JSON object")) }
        guard let organization = tree["organization-name"]?.text else { return .failure(.notAReport("no organization-name")) }
        guard let reportID = tree["report-id"]?.text else { return .failure(.notAReport("no report-id")) }
        guard let range = tree["date-range"],
              let start = range["start-datetime"]?.text.flatMap(ReportTimestamp.parse),
              let end = range["end-datetime"]?.text.flatMap(ReportTimestamp.parse)
        else { return .failure(.notAReport("no usable date-range")) }
        guard case .array(let entries)? = tree["policies"], !entries.isEmpty else {
            return .failure(.notAReport("no policies"))
        }
        var policies: [PolicyResult] = []
        for entry in entries {
            switch policy(entry) {
            case .success(let result): policies.append(result)
            case .failure(let failure): return .failure(failure)
            }
        }
        return .success(TLSReport(organization: organization, reportID: reportID, startTime: start, endTime: end,
                                  contactInfo: tree["contact-info"]?.text, policies: policies))
    }

    private static func policy(_ entry: JSONTree) -> Result<PolicyResult, Failure> {
        guard let policy = entry["policy"], case .object = policy else { return .failure(.notAReport("a policy without policy")) }
        guard var domain = policy["policy-domain"]?.text?.lowercased() else {
            return .failure(.notAReport("a policy without policy-domain"))
        }
        while domain.hasSuffix(".") { domain.removeLast() }
        let summary = entry["summary"]
        var failures: [FailureDetail] = []
        if case .array(let details)? = entry["failure-details"] {
            for detail in details {
                guard case .object = detail else { continue }
                failures.append(FailureDetail(
                    resultType: detail["result-type"]?.text?.lowercased() ?? "unspecified",
                    sendingMTAIP: detail["sending-mta-ip"]?.text,
                    receivingMXHostname: detail["receiving-mx-hostname"]?.text?.lowercased(),
                    receivingIP: detail["receiving-ip"]?.text,
                    failedSessions: detail["failed-session-count"]?.count ?? 0,
                    failureReasonCode: detail["failure-reason-code"]?.text))
            }
        }
        let failed = summary?["total-failure-session-count"]?.count ?? failures.reduce(0) { $0 + $1.failedSessions }
        return .success(PolicyResult(
            type: policy["policy-type"]?.text?.lowercased() ?? "unspecified", domain: domain,
            policyString: policy["policy-string"]?.texts ?? [], mxHosts: policy["mx-host"]?.texts ?? [],
            successfulSessions: summary?["total-successful-session-count"]?.count ?? 0,
            failedSessions: failed, failures: failures))
    }
}
