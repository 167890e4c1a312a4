import DNSClient
import MTASTS

/// `dns-txt`: the `_mta-sts` TXT record as a sender reads it (RFC 8461 §3.1): records not starting with
/// `v=STSv1` are ignored, and anything but exactly one valid record means the domain has no policy.
enum STSRecordCheck {
    /// The result, and the published id when the record is valid.
    static func evaluate(_ answer: DNSAnswer<String>, name: String) -> (CheckResult, id: String?) {
        func result(_ status: CheckStatus, _ message: String) -> CheckResult {
            CheckResult(.dnsTXT, name, status, message)
        }
        let records: [String]
        switch answer {
        case .nonexistent:
            return (result(.fail, "NXDOMAIN: \(name) does not exist, so senders see no MTA-STS policy"), nil)
        case .failed(let reason):
            return (result(.fail, DNSFailure.describe(reason, name: name)), nil)
        case .records(let found):
            records = found.filter { $0.hasPrefix(DNSRecords.stsVersionPrefix) }
        }
        guard records.count == 1, let record = records.first else {
            let message = records.isEmpty
                ? "no v=STSv1 TXT record at \(name): senders see no MTA-STS policy"
                : "\(records.count) v=STSv1 TXT records at \(name): senders ignore them all (RFC 8461 §3.1); keep one"
            return (result(.fail, message), nil)
        }
        switch parseID(record) {
        case .success(let id): return (result(.pass, "one v=STSv1 record, id=\(id)"), id)
        case .failure(let problem): return (result(.fail, "\"\(record)\": \(problem.text)"), nil)
        }
    }

    struct Problem: Error { let text: String }

    /// `v=STSv1; id=...` with `;`-separated fields and optional blanks around them; other fields are allowed.
    static func parseID(_ record: String) -> Result<String, Problem> {
        var fields = record.split(separator: ";", omittingEmptySubsequences: false)
            .map(ASCII.trimmingWhitespace)
        if fields.last == "" { fields.removeLast() }
        guard fields.first == DNSRecords.stsVersionPrefix else {
            return .failure(Problem(text: "the record must start with \"v=STSv1;\""))
        }
        let ids = fields.dropFirst().filter { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) }
        guard ids.count == 1, let id = ids.first else {
            return .failure(Problem(text: ids.isEmpty ? "no id field" : "\(ids.count) id fields"))
        }
        guard (1...32).contains(id.utf8.count), id.utf8.allSatisfy(ASCII.isLetterOrDigit) else {
            return .failure(Problem(text: "id \"\(id)\" must be 1 to 32 letters and digits"))
        }
        return .success(id)
    }
}

/// Reads an ldns failure for people: the RCODE when there was one, else a timeout.
enum DNSFailure {
    static func describe(_ reason: String, name: String) -> String {
        switch reason {
        case "SERVFAIL", "REFUSED", "FORMERR", "NOTIMP":
            return "\(reason) for \(name): the name server failed to answer"
        default:
            return "no answer for \(name) (timed out or unreachable: \(reason))"
        }
    }
}
