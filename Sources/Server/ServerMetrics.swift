import Catalog
import CoreMetrics
import Glibc
import TLS

/// The server's metrics through swift-metrics (Prometheus names). Without a metrics backend bootstrapped
/// (no --admin), every call is a no-op.
public final class ServerMetrics: @unchecked Sendable {
    public static let version = "0.1.0"

    let handshakes = Counter(label: "mta_sts_handshakes_total")
    let openConnections = Meter(label: "mta_sts_open_connections")
    private let reloads = Dictionary(uniqueKeysWithValues: ReloadResult.allCases.map {
        ($0, Counter(label: "mta_sts_reloads_total", dimensions: [("result", $0.rawValue)]))
    })
    private let policiesServed = Gauge(label: "mta_sts_policies_served")
    private let policiesRejected = Gauge(label: "mta_sts_policies_rejected")
    private let certificatesRejected = Gauge(label: "mta_sts_certificates_rejected")
    private let statusFileWritable = Gauge(label: "mta_sts_status_file_writable")
    private let certificatesBySource = (file: Gauge(label: "mta_sts_certificates", dimensions: [("source", "file")]),
                                        acme: Gauge(label: "mta_sts_certificates", dimensions: [("source", "acme")]))
    private let domains = Dictionary(uniqueKeysWithValues: DomainState.allCases.map {
        ($0, Gauge(label: "mta_sts_domains", dimensions: [("state", $0.rawValue)]))
    })
    /// By certificate file and host; touched only on the reporting queue.
    private var certificateExpiry: [ExpiryKey: Gauge] = [:]

    private struct ExpiryKey: Hashable {
        let file: String
        let host: String
    }

    public enum ReloadResult: String, CaseIterable, Sendable {
        case success
        /// Served, but some source could not be read and its last good version was kept.
        case partial
        case failure
    }

    public init() {
        Gauge(label: "mta_sts_build_info", dimensions: [("version", Self.version)]).record(1)
    }

    /// Requests answered, by protocol and status. Counters are cached per event loop by the caller.
    static func requests(protocol name: String, status: Int) -> Counter {
        Counter(label: "mta_sts_requests_total", dimensions: [("protocol", name), ("status", "\(status)")])
    }

    static func handshakeFailures(reason: String) -> Counter {
        Counter(label: "mta_sts_handshake_failures_total", dimensions: [("reason", reason)])
    }

    /// Folds OpenSSL's reason strings (and our own refusals) into a few stable label values.
    static func handshakeFailureReason(_ reason: String) -> String {
        switch reason {
        case "timeout", "unknown_sni", "missing_sni", "tls_setup", "link_lost": return reason
        case let text where text.contains("no shared cipher"): return "no_shared_cipher"
        case let text where text.contains("protocol") || text.contains("version"): return "protocol_version"
        case let text where text.contains("http request") || text.contains("record"): return "not_tls"
        default: return "other"
        }
    }

    func reloaded(_ result: ReloadResult) {
        reloads[result]?.increment()
    }

    func statusFileWritten(_ success: Bool) {
        statusFileWritable.record(success ? 1 : 0)
    }

    /// After every load: policy and domain counts and each certificate's remaining lifetime. Runs on the
    /// reporting queue.
    func loaded(_ catalog: Catalog, report: CatalogLoader.Report, states: [String: DomainState]) {
        policiesServed.record(catalog.policies.count)
        policiesRejected.record(report.rejectedPolicyFiles.count)
        certificatesRejected.record(report.rejectedCertificates.count)
        certificatesBySource.file.record(catalog.certificates.pairs.count - catalog.certificates.issuedPairs.count)
        certificatesBySource.acme.record(catalog.certificates.issuedPairs.count)
        for (state, count) in DomainHealth.counts(states) { domains[state]?.record(count) }
        refreshCertificateExpiry(catalog.certificates.pairs)
    }

    /// Seconds until each certificate expires, one series per host it names; series of certificates no longer
    /// loaded are removed.
    func refreshCertificateExpiry(_ pairs: [CertificateKeyPair]) {
        let now = time(nil)
        var current: [ExpiryKey: Gauge] = [:]
        for pair in pairs {
            for host in Set(pair.dnsNames) {
                let key = ExpiryKey(file: pair.certificatePath, host: host)
                let gauge = certificateExpiry[key] ?? current[key]
                    ?? Gauge(label: "mta_sts_certificate_expiry_seconds", dimensions: [("file", key.file), ("host", host)])
                gauge.record(pair.notAfter - now)
                current[key] = gauge
            }
        }
        for (key, gauge) in certificateExpiry where current[key] == nil { gauge.destroy() }
        certificateExpiry = current
    }
}
