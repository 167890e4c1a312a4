import Catalog
import Logging
import Synchronization

/// What a load says in the log: its problems and diagnostics (one line each, the fix on it), and what changed for
/// senders since the load before (certificates lost, policies retired, rejections resolved). Warnings about the
/// configuration rather than an event are said once per process.
final class LoadReportLog: Sendable {
    private let logger: Logger
    private let warnedOnce = Mutex<Set<String>>([])

    init(logger: Logger) {
        self.logger = logger
    }

    /// A domain that was served and no longer has a certificate (its files removed, or its directory emptied):
    /// senders now fail on it, so say which.
    func lostCertificates(before: [String: DomainState], after: [String: DomainState]) {
        let lost = after.filter { $0.value == .noCertificate && before[$0.key] == .served }.map(\.key).sorted()
        guard !lost.isEmpty else { return }
        logger.warning("\(lost.count) domains lost their certificate: \(CatalogDiff.summary(lost, limit: 20)); senders cannot fetch their policies")
    }

    /// Senders keep a removed `enforce` or `testing` policy cached for its max_age: RFC 8461 (section 3.3, and
    /// its removal advice) has the domain publish `mode: none` first.
    func retiredPolicies(_ removed: [String], before: [String: LoadedPolicy]) {
        for domain in removed {
            guard let policy = before[domain], policy.policy.mode != .none else { continue }
            logger.warning("""
                the policy file of \(domain) (mode: \(policy.policy.mode.rawValue)) was removed; senders keep the cached \
                policy for up to max_age \(policy.policy.maxAge) s. To retire MTA-STS as RFC 8461 section 8.3 describes: serve \
                mode: none with a new id in DNS, wait the old max_age, then remove the file and the DNS records
                """)
        }
    }

    /// A pair whose rejection was logged (say, a key and certificate mismatched halfway through a renewal) and
    /// that now loads: the error line gets its answer.
    func recoveredCertificates(rejectedBefore: [String], report: CatalogLoader.Report, loaded: Catalog) {
        let stillRejected = Set(report.rejectedCertificates)
        let loadedPaths = Set(loaded.certificates.pairs.map(\.certificatePath))
        for path in rejectedBefore where !stillRejected.contains(path) && loadedPaths.contains(path) {
            logger.notice("resolved: \(path) loads again and serves")
        }
    }

    /// A warning about the configuration rather than an event (a symlink leaving the tree): said once, however
    /// often the walk meets it.
    func warnOnce(_ text: String) {
        if warnedOnce.withLock({ $0.insert(text).inserted }) { logger.warning("\(text)") }
    }

    func log(_ report: CatalogLoader.Report) {
        report.problems.forEach { logger.error("\($0)") }
        report.symlinksNotFollowed.forEach(warnOnce)
        for item in report.policyDiagnostics {
            // One log line per finding: the fix goes on it, after a semicolon.
            var finding = item
            finding.diagnostic.fix = nil
            let line = "\(finding)" + (item.diagnostic.fix.map { "; fix: \($0)" } ?? "")
            item.diagnostic.severity == .error ? logger.error("\(line)") : logger.warning("\(line)")
        }
        report.certificateProblems.forEach { logger.error("\($0)") }
        report.certificateWarnings.forEach { logger.warning("\($0)") }
        for domain in report.keptPrevious {
            logger.error("keeping the last good policy of \(domain) until its file is fixed")
        }
        for path in report.keptPreviousCertificates {
            logger.error("keeping the last good certificate from \(path) until it is fixed")
        }
    }
}
