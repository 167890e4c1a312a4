import DNSClient
import MTASTS

/// `tlsrpt`: the RFC 8460 record that makes senders report failures. Without it a policy is enforced blind, but
/// mail still flows: a missing record warns.
enum TLSRPTRecordCheck {
    static func evaluate(_ answer: DNSAnswer<String>, name: String) -> CheckResult {
        func result(_ status: CheckStatus, _ message: String) -> CheckResult { CheckResult(.tlsrpt, name, status, message) }
        let advice = "publish \(name). IN TXT \"v=TLSRPTv1; rua=mailto:...\" to receive senders' reports"
        let records: [String]
        switch answer {
        case .nonexistent: return result(.warn, "no TLS-RPT record: \(advice)")
        case .failed(let reason): return result(.fail, DNSFailure.describe(reason, name: name))
        case .records(let found): records = found.filter { $0.hasPrefix("v=TLSRPTv1") }
        }
        guard records.count == 1, let record = records.first else {
            return records.isEmpty
                ? result(.warn, "no TLS-RPT record: \(advice)")
                : result(.fail, "\(records.count) v=TLSRPTv1 records: senders ignore them all (RFC 8460 §3); keep one")
        }
        let fields = record.split(separator: ";").map(ASCII.trimmingWhitespace)
        guard fields.first == "v=TLSRPTv1" else { return result(.fail, "\"\(record)\": must start with \"v=TLSRPTv1;\"") }
        guard let rua = fields.first(where: { $0.hasPrefix("rua=") })?.dropFirst(4), !rua.isEmpty else {
            return result(.fail, "\"\(record)\": no rua field, so senders have nowhere to report")
        }
        let destinations = rua.split(separator: ",").map(ASCII.trimmingWhitespace)
        for destination in destinations where !(destination.hasPrefix("mailto:") && destination.count > 7)
            && !destination.hasPrefix("https://") {
            return result(.fail, "\"\(record)\": rua \(destination) must be a mailto: or https: URI")
        }
        return result(.pass, "reports go to \(destinations.joined(separator: ", "))")
    }
}
