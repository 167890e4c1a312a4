import CoreMetrics
import TLSRPT

/// `mta_sts_tlsrpt_reports_total{outcome,reason}` and `mta_sts_tlsrpt_sessions_total{domain,result,result_type}`
/// (sessions from stored reports only, so a duplicate counts nothing twice). Touched on the receiver's queue.
final class ReportMetrics {
    private var counters: [String: Counter] = [:]

    func stored(_ report: TLSReport) {
        counter("mta_sts_tlsrpt_reports_total", [("outcome", "stored"), ("reason", "")]).increment()
        for policy in report.policies {
            let domain = policy.domain
            sessions(domain, "success", "", policy.successfulSessions)
            var detailed = 0
            for failure in policy.failures {
                // Unknown types are stored and summarised by name; as a label they are folded, since any sender
                // may invent them.
                let type = ResultType.known[failure.resultType] == nil ? "unknown" : failure.resultType
                sessions(domain, "failure", type, failure.failedSessions)
                detailed += failure.failedSessions
            }
            // Failures the summary counts but no detail names.
            sessions(domain, "failure", "unspecified", policy.failedSessions - detailed)
        }
    }

    func duplicate() {
        counter("mta_sts_tlsrpt_reports_total", [("outcome", "duplicate"), ("reason", "")]).increment()
    }

    func rejected(_ reason: String) {
        counter("mta_sts_tlsrpt_reports_total", [("outcome", "rejected"), ("reason", reason)]).increment()
    }

    private func sessions(_ domain: String, _ result: String, _ type: String, _ count: Int) {
        guard count > 0 else { return }
        counter("mta_sts_tlsrpt_sessions_total", [("domain", domain), ("result", result), ("result_type", type)])
            .increment(by: Int64(count))
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = label + dimensions.map { "\u{0}" + $0.1 }.joined()
        if let counter = counters[key] { return counter }
        let counter = Counter(label: label, dimensions: dimensions)
        counters[key] = counter
        return counter
    }
}
