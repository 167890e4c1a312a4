/// `# HELP` lines for the Prometheus exposition. swift-metrics has no place for help text, so they are added
/// to the rendered text, before each family's `# TYPE` line.
public enum MetricHelp {
    static let text: [String: String] = [
        "mta_sts_build_info": "Always 1; the version label says which build runs.",
        "mta_sts_handshakes_total": "TLS handshakes completed.",
        "mta_sts_handshake_failures_total": "TLS handshakes that failed, by reason.",
        "mta_sts_open_connections": "Client connections open now.",
        "mta_sts_requests_total": "HTTP requests answered, by protocol and status.",
        "mta_sts_reloads_total": "Reloads: success, partial (a source was unreadable; its last good version kept), failure.",
        "mta_sts_policies_served": "Policies served (valid files, and last good versions of files now invalid).",
        "mta_sts_policies_rejected": "Policy files rejected in the last load.",
        "mta_sts_certificates_rejected": "Certificate pairs rejected in the last load (expired, mismatched, unusable).",
        "mta_sts_domains": "Policy domains by state: served, no_certificate, certificate_expired, rejected_policy.",
        "mta_sts_certificate_expiry_seconds": "Seconds until the certificate in file expires, per host it names.",
        "mta_sts_certificates": "Certificate pairs loaded, by source: file (--certs) or acme (issued by --acme-directory).",
        "mta_sts_acme_orders_total": "ACME orders finished, by result: issued, failed, waiting_for_dns (not ordered: the name does not resolve).",
        "mta_sts_dns_updates_total": "_mta-sts TXT updates (--dns-update) finished, by result: published, unchanged (DNS already carried the id), removed, failed.",
        "mta_sts_tlsrpt_reports_total": "TLS-RPT reports POSTed to /tlsrpt, by outcome (stored, duplicate, rejected) and the reason of a rejection.",
        "mta_sts_tlsrpt_sessions_total": "Sessions counted in stored TLS-RPT reports, by policy domain, result (success, failure) and result type.",
        "mta_sts_status_file_writable": "1 when the last write of status.json in --state-dir succeeded, else 0.",
    ]

    /// The exposition with a `# HELP` line before each `# TYPE` line of a family we describe.
    public static func adding(to exposition: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(exposition.count + 2048)
        let typePrefix = Array("# TYPE ".utf8)
        for line in exposition.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            if line.starts(with: typePrefix) {
                let name = String(decoding: line.dropFirst(typePrefix.count).prefix { $0 != UInt8(ascii: " ") }, as: UTF8.self)
                if let help = text[name] { output += Array("# HELP \(name) \(help)\n".utf8) }
            }
            output += line
            output.append(UInt8(ascii: "\n"))
        }
        output.removeLast()  // the split gave one more line than there were newlines
        return output
    }
}
