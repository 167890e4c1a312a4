import CoreMetrics
import Dispatch
import Glibc
import Logging
import Reactor
import Synchronization

/// `serve --verify-every`: every served domain checked as `verify` would, in the background, one run at a time,
/// each `interval` (with up to a tenth of it as jitter, so replicas do not probe the same MX at the same
/// moment) after the previous one ended. The checks run on threads of their own, never on an event loop.
public final class VerificationManager: @unchecked Sendable {  // `timer` and the gauges are confined to `queue`
    private let verifier: Verifier
    private let intervalSeconds: Int
    private let logger: Logger
    private let statusChanged: @Sendable () -> Void
    private let queue = DispatchQueue(label: "mta-sts-host.verify")
    private lazy var timer = WakeUpTimer(queue: queue)
    /// The domains to check, from the latest catalog; nil until the first one arrives.
    private let domains = Mutex<[String: LocalPolicy]?>(nil)
    private let results = Mutex<(checkedAt: Int, byDomain: [String: DomainVerification])>((0, [:]))
    private var statusGauges: [VerificationSummary.Key: Gauge] = [:]
    private var warningGauges: [VerificationSummary.Key: Gauge] = [:]
    private let lastRun = Gauge(label: "mta_sts_verify_last_run_timestamp_seconds")
    private let runDuration = Gauge(label: "mta_sts_verify_duration_seconds")

    public init(verifier: Verifier, intervalSeconds: Int, logger: Logger,
                statusChanged: @escaping @Sendable () -> Void) {
        self.verifier = verifier
        self.intervalSeconds = intervalSeconds
        self.logger = logger
        self.statusChanged = statusChanged
        queue.async { [self] in schedule(afterMilliseconds: 0) }
    }

    /// The served domains changed (a new catalog): the next run checks these.
    public func domainsChanged(_ current: [String: LocalPolicy]) {
        domains.withLock { $0 = current }
    }

    /// Each domain's last result and when its run ended (Unix seconds).
    public var latest: (checkedAt: Int, byDomain: [String: DomainVerification]) {
        results.withLock { $0 }
    }

    /// After `delay`, plus up to a tenth of the interval.
    private func schedule(afterMilliseconds delay: Int) {
        let jitter = Int.random(in: 0...intervalSeconds * 100)
        timer.arm(after: .milliseconds(delay + jitter)) { [weak self] in self?.run() }
    }

    private func run() {
        guard let current = domains.withLock({ $0 }) else {
            schedule(afterMilliseconds: 1000)  // the first catalog is still loading
            return
        }
        let targets = current.sorted { $0.key < $1.key }.map { (domain: $0.key, local: Optional($0.value)) }
        let started = ContinuousClock.now
        let checked = verifier.verify(targets)
        let elapsed = ContinuousClock.now - started
        let now = Int(time(nil))
        results.withLock { $0 = (now, Dictionary(checked.map { ($0.domain, $0) }, uniquingKeysWith: { _, last in last })) }
        record(VerificationSummary(checked), finishedAt: now, elapsed: elapsed)
        let failing = checked.filter { $0.fails(strict: false) }.map(\.domain)
        if failing.isEmpty {
            logger.info("verify: every check passed", metadata: ["domains": "\(checked.count)"])
        } else {
            logger.warning("verify: checks failing (see /status)", metadata: [
                "domains": "\(checked.count)", "failing": "\(failing.prefix(10).joined(separator: ","))",
                "failing_count": "\(failing.count)",
            ])
        }
        statusChanged()
        schedule(afterMilliseconds: intervalSeconds * 1000)
    }

    /// One series per (domain, check); those of domains no longer served go.
    private func record(_ summary: VerificationSummary, finishedAt: Int, elapsed: Duration) {
        for (key, passing) in summary.passing {
            let gauge = statusGauges[key] ?? Gauge(label: "mta_sts_verify_status", dimensions: Self.dimensions(key))
            statusGauges[key] = gauge
            gauge.record(passing ? 1 : 0)
        }
        for (key, count) in summary.warnings {
            let gauge = warningGauges[key] ?? Gauge(label: "mta_sts_verify_warnings", dimensions: Self.dimensions(key))
            warningGauges[key] = gauge
            gauge.record(count)
        }
        for (key, gauge) in statusGauges where summary.passing[key] == nil {
            gauge.destroy()
            statusGauges[key] = nil
        }
        for (key, gauge) in warningGauges where summary.warnings[key] == nil {
            gauge.destroy()
            warningGauges[key] = nil
        }
        lastRun.record(finishedAt)
        runDuration.record(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    private static func dimensions(_ key: VerificationSummary.Key) -> [(String, String)] {
        [("domain", key.domain), ("check", key.check.rawValue)]
    }
}
