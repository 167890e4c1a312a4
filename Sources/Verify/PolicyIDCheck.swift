import MTASTS

/// `dns-id`: the id in DNS against the id `dns` derives from the local policy file. A stale id keeps senders on
/// their cached policy until its max_age runs out.
enum PolicyIDCheck {
    static func evaluate(domain: String, publishedID: String?, localID: String?) -> CheckResult {
        let expected = localID.map { DNSRecords(domain: domain, id: $0) }
        let name = expected?.stsName ?? "_mta-sts.\(domain)"
        guard let expected else { return CheckResult(.dnsID, name, .skip, "no valid local policy file for \(domain)") }
        guard let publishedID else {
            return CheckResult(.dnsID, name, .fail,
                               "no valid id published (see dns-txt); publish \(name). IN TXT \"\(expected.stsValue)\"")
        }
        guard publishedID == expected.id else {
            return CheckResult(.dnsID, name, .fail,
                               "DNS has id=\(publishedID), the local policy's id is \(expected.id): senders keep their "
                                   + "cached policy; publish \(name). IN TXT \"\(expected.stsValue)\"")
        }
        return CheckResult(.dnsID, name, .pass, "id=\(publishedID) matches the local policy")
    }
}
