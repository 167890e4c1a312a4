import DNSClient
import MTASTS

/// `mx-coverage`: every live MX host must match a policy `mx` pattern, or under `enforce` senders refuse to
/// deliver to it; a pattern no MX matches is a stale entry (a renamed or retired MX) and warns.
enum MXCoverageCheck {
    static func evaluate(domain: String, exchangers: DNSAnswer<MailExchanger>, patterns: [String]?) -> [CheckResult] {
        let hosts: [String]
        switch exchangers {
        case .nonexistent:
            return [CheckResult(.mxCoverage, domain, .fail, "NXDOMAIN: \(domain) does not exist")]
        case .failed(let reason):
            return [CheckResult(.mxCoverage, domain, .fail, DNSFailure.describe(reason, name: domain))]
        case .records(let records):
            hosts = records.sorted { $0.preference < $1.preference }.map { MXHostMatch.normalized($0.exchange) }
        }
        guard !hosts.isEmpty else {
            return [CheckResult(.mxCoverage, domain, .fail, "\(domain) has no MX records")]
        }
        guard let patterns else {
            return hosts.map { CheckResult(.mxCoverage, $0, .skip, "no policy to compare with (see policy-fetch)") }
        }
        var results = hosts.map { host in
            if let pattern = patterns.first(where: { MXHostMatch.matches(host, pattern: $0) }) {
                return CheckResult(.mxCoverage, host, .pass, "matches mx: \(pattern)")
            }
            return CheckResult(.mxCoverage, host, .fail,
                               "no policy mx entry covers this MX (a wildcard covers exactly one label): "
                                   + "add \"mx: \(host)\" to the policy, or senders in enforce mode refuse it")
        }
        for pattern in patterns where !hosts.contains(where: { MXHostMatch.matches($0, pattern: pattern) }) {
            results.append(CheckResult(.mxCoverage, pattern, .warn,
                                       "no MX record of \(domain) matches this policy entry: remove it if the host is retired"))
        }
        return results
    }
}
