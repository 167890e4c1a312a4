import Catalog
import CoreMetrics
import DNSClient
import Dispatch
import Glibc
import Logging
import Synchronization
import Reactor

/// Publishes each served domain's id in DNS: follows each installed catalog (told only once every event loop
/// serves it, so a sender that sees a new id fetches the new policy), runs the updates on their own threads (never
/// an event loop, never holding up a reload), retries with back-off, and reports each domain's state for `status`.
/// The decisions are `PublicationBook`'s; this is the shell that performs them.
public final class PublicationManager: @unchecked Sendable {  // mutable state confined to `queue`
    private let publisher: RecordPublisher
    private let logger: Logger
    private let queue = DispatchQueue(label: "mta-sts-host.dns-update")
    private let updates = DispatchQueue(label: "mta-sts-host.dns-updates", attributes: .concurrent)
    private var book: PublicationBook
    private lazy var timer = WakeUpTimer(queue: queue)
    private var statusRefreshScheduled = false
    private let published = Mutex<[String: PublicationStatus]>([:])
    private let statusChanged: @Sendable () -> Void
    private let updatesTotal: (published: Counter, unchanged: Counter, removed: Counter, failed: Counter)

    /// - Parameter statusChanged: called when what `status` shows changed without a reload.
    public init(settings: PublicationSettings, logger: Logger, statusChanged: @escaping @Sendable () -> Void) {
        publisher = RecordPublisher(settings: settings)
        self.logger = logger
        self.statusChanged = statusChanged
        book = PublicationBook(maxInFlight: settings.maxInFlight, removesRetiredDomains: settings.removesRetiredDomains)
        let label = "mta_sts_dns_updates_total"
        updatesTotal = (Counter(label: label, dimensions: [("result", "published")]),
                        Counter(label: label, dimensions: [("result", "unchanged")]),
                        Counter(label: label, dimensions: [("result", "removed")]),
                        Counter(label: label, dimensions: [("result", "failed")]))
    }

    /// Each domain's state for the status document.
    public var status: [String: PublicationStatus] { published.withLock { $0 } }

    /// A catalog is served: every domain's record should carry its policy's id (aliases have their own).
    public func catalogChanged(_ catalog: Catalog) {
        let ids = catalog.policies.mapValues(\.id)
        queue.async { [self] in
            for domain in book.want(ids) {
                // RFC 8461 §8.3: removing MTA-STS is a process (a `mode: none` policy, then the record, after
                // max_age); deleting the record alone leaves senders with the cached policy.
                logger.notice("dns-update: \(domain) is no longer served; its _mta-sts TXT record is left in place (publish a mode: none policy first, RFC 8461 §8.3; --dns-update-remove deletes it)")
            }
            wake()
        }
    }

    private func wake() {
        for (domain, id) in book.takeDue(now: Self.now()) {
            updates.async { [self] in
                let started = DispatchTime.now()
                let outcome = publisher.publish(domain: domain, id: id)
                let milliseconds = (DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1_000_000
                queue.async { [self] in finished(domain, id: id, outcome: outcome, milliseconds: milliseconds) }
            }
        }
        schedule()
        refreshStatusSoon()
    }

    private func finished(_ domain: String, id: String?, outcome: Result<DNSUpdateChange, DNSUpdateError>,
                          milliseconds: UInt64) {
        let name = publisher.settings.recordName(for: domain)
        let value = id.map { "id=\($0)" } ?? "removed"
        switch outcome {
        case .success(.unchanged):
            updatesTotal.unchanged.increment()
            book.succeeded(domain, id: id)
            logger.info("dns-update: \(name) already carries \(value)", metadata: ["domain": "\(domain)"])
        case .success(let change):
            (id == nil ? updatesTotal.removed : updatesTotal.published).increment()
            book.succeeded(domain, id: id)
            var replaced = ""
            if case .replaced(let count) = change { replaced = " (replaced \(count) v=STSv1 record\(count == 1 ? "" : "s"))" }
            logger.notice("dns-update: \(name) TXT \(id == nil ? "v=STSv1 record removed" : "published \(value)")\(replaced)",
                          metadata: ["domain": "\(domain)", "ms": "\(milliseconds)"])
        case .failure(let error):
            updatesTotal.failed.increment()
            book.failed(domain, error: error.description, now: Self.now())
            let retry: String
            if case .waiting(let until) = book.entries[domain]?.state { retry = "; next try in \(until - Self.now()) s" } else { retry = "" }
            logger.warning("dns-update: \(name) not updated: \(error)\(retry)", metadata: ["domain": "\(domain)"])
        }
        wake()
    }

    private func schedule() {
        guard let next = book.nextWakeUp else { return timer.cancel() }
        timer.arm(after: .seconds(max(next - Self.now(), 0))) { [weak self] in self?.wake() }
    }

    /// The status of thousands of domains is copied (and the document rendered) at most once a second, not once
    /// per update.
    private func refreshStatusSoon() {
        guard !statusRefreshScheduled else { return }
        statusRefreshScheduled = true
        queue.asyncAfter(deadline: .now() + .seconds(1)) { [self] in
            statusRefreshScheduled = false
            let status = book.entries.mapValues { entry in
                var nextAttempt: Int?
                if case .waiting(let until) = entry.state { nextAttempt = until }
                return PublicationStatus(publishedID: entry.published, pendingID: entry.wanted,
                                         pending: entry.state != .idle, failures: entry.failures,
                                         lastError: entry.lastError, nextAttempt: nextAttempt)
            }
            let changed = published.withLock { published in
                defer { published = status }
                return published != status
            }
            if changed { statusChanged() }
        }
    }

    private static func now() -> Int { Int(time(nil)) }
}
