import CoreMetrics
import Glibc
import TLS

/// The server's metrics through swift-metrics (Prometheus names). Without a metrics backend bootstrapped
/// (no --admin), every call is a no-op.
public final class ServerMetrics: @unchecked Sendable {
    public static let version = "0.1.0"

    let handshakes = Counter(label: "mta_sts_handshakes_total")
    let openConnections = Meter(label: "mta_sts_open_connections")
    private let reloadSuccesses = Counter(label: "mta_sts_reloads_total", dimensions: [("result", "success")])
    private let reloadFailures = Counter(label: "mta_sts_reloads_total", dimensions: [("result", "failure")])
    private let policiesServed = Gauge(label: "mta_sts_policies_served")
    private let policiesRejected = Gauge(label: "mta_sts_policies_rejected")
    /// Touched only on the reporting queue.
    private var certificateExpiry: [String: Gauge] = [:]

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
        case "timeout", "unknown_sni", "missing_sni": return reason
        case let text where text.contains("no shared cipher"): return "no_shared_cipher"
        case let text where text.contains("protocol") || text.contains("version"): return "protocol_version"
        case let text where text.contains("http request") || text.contains("record"): return "not_tls"
        default: return "other"
        }
    }

    func reloaded(success: Bool) {
        (success ? reloadSuccesses : reloadFailures).increment()
    }

    /// After every load: policy counts and each certificate's remaining lifetime. Runs on the reporting queue.
    func loaded(_ catalog: Catalog, report: CatalogLoader.Report) {
        policiesServed.record(catalog.policies.count)
        policiesRejected.record(report.rejectedPolicyFiles.count)
        refreshCertificateExpiry(catalog.certificates.pairs)
    }

    /// Seconds until each certificate expires; gauges of certificates no longer loaded are removed.
    func refreshCertificateExpiry(_ pairs: [CertificateKeyPair]) {
        let now = time(nil)
        var current: [String: Gauge] = [:]
        for pair in pairs {
            let gauge = certificateExpiry[pair.certificatePath] ?? Gauge(label: "mta_sts_certificate_expiry_seconds", dimensions: [
                ("file", pair.certificatePath), ("host", pair.dnsNames.first ?? ""),
            ])
            gauge.record(pair.notAfter - now)
            current[pair.certificatePath] = gauge
        }
        for (path, gauge) in certificateExpiry where current[path] == nil { gauge.destroy() }
        certificateExpiry = current
    }
}
