import CoreMetrics
import Dispatch
import Glibc
import HTTP
import Logging
import ReportStore
import Synchronization
import TLSRPT

/// Takes report uploads from the event loops and answers each once it is decided: refused (rate, media type,
/// gzip, JSON, size, domain), a duplicate, or stored durably. Everything runs on one serial queue, so the loops
/// never wait on zlib, the parser or fsync, and two posts of the same report are decided one after the other
/// (the second finds the first).
public final class ReportReceiver: @unchecked Sendable {
    private let store: ReportStore
    private let settings: ReportIntakeSettings
    private let logger: Logger
    private let queue = DispatchQueue(label: "mta-sts-host.reports")
    /// On the queue only.
    private var rateLimiter: ClientRateLimiter
    private let metrics = ReportMetrics()
    /// Uploads handed in and not yet answered: past the bound, new ones get 503 at once instead of queueing
    /// their bodies without end.
    private let pending = Atomic<Int>(0)
    static let maxPending = 64
    private let last = Mutex<[LastReport]>([])
    /// Told after each report stored (the server re-renders its status).
    private let storedObserver = Mutex<(@Sendable () -> Void)?>(nil)

    public init(store: ReportStore, settings: ReportIntakeSettings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
        rateLimiter = ClientRateLimiter(perMinute: settings.reportsPerMinutePerClient)
        refreshLastReports()
    }

    /// The latest report per policy domain (for /status), as of the last one stored.
    public var lastReports: [LastReport] { last.withLock { $0 } }

    /// `observer` is called on the receiver's queue after each report stored.
    public func observeStored(_ observer: @escaping @Sendable () -> Void) {
        storedObserver.withLock { $0 = observer }
    }

    /// The policies served after a load (domain, id, mode), kept as history in the index.
    public func served(_ policies: [ServedPolicy]) {
        queue.async { [self] in
            do {
                try store.recordServed(policies, at: Int(time(nil)))
            } catch {
                logger.warning("cannot record the served policies in the report index", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Called on an event loop; `done` is called once, on the receiver's queue.
    public func receive(body: [UInt8], contentType: String?, client: [UInt8],
                        servesDomain: @escaping @Sendable (String) -> Bool,
                        done: @escaping @Sendable (PlainAnswer) -> Void) {
        guard pending.add(1, ordering: .relaxed).newValue <= Self.maxPending else {
            pending.subtract(1, ordering: .relaxed)
            // Counted on the queue, which owns the metric handles.
            queue.async { [self] in metrics.rejected("busy") }
            return done(PlainAnswer(.serviceUnavailable, "too many reports being stored; retry later"))
        }
        queue.async { [self] in
            let answer = decide(body: body, contentType: contentType, client: client, servesDomain: servesDomain)
            pending.subtract(1, ordering: .relaxed)
            done(answer)
        }
    }

    private func decide(body: [UInt8], contentType: String?, client: [UInt8],
                        servesDomain: (String) -> Bool) -> PlainAnswer {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC_COARSE, &now)
        guard rateLimiter.admit(client, now: now.tv_sec * 1000 + now.tv_nsec / 1_000_000) else {
            return refuse(PlainAnswer(.tooManyRequests, "more than \(settings.reportsPerMinutePerClient) reports a minute"),
                          reason: "rate_limited")
        }
        let decoded = ReportDecoding.decode(body: body, contentType: contentType,
                                            maxInflatedBytes: settings.maxInflatedBytes)
        guard case .report(let report, let json) = decoded else {
            if case .refused(let answer, let reason) = decoded { return refuse(answer, reason: reason) }
            return refuse(PlainAnswer(.badRequest, "not a report"), reason: "not_a_report")
        }
        guard report.policyDomains.contains(where: servesDomain) else {
            return refuse(PlainAnswer(.forbidden, "no policy domain of this report is served here"), reason: "domain_not_served")
        }
        do {
            switch try store.store(report, json: json, receivedAt: Int(time(nil))) {
            case .stored(let path):
                metrics.stored(report)
                refreshLastReports()
                storedObserver.withLock { $0 }?()
                logger.info("report stored", metadata: ["organization": "\(report.organization)",
                                                        "report_id": "\(report.reportID)", "file": "\(path)"])
                return PlainAnswer(.ok, "stored")
            case .duplicate:
                metrics.duplicate()
                return PlainAnswer(.ok, "already stored")
            }
        } catch {
            metrics.rejected("storage")
            logger.error("cannot store a report", metadata: ["organization": "\(report.organization)",
                                                              "report_id": "\(report.reportID)", "error": "\(error)"])
            return PlainAnswer(.internalServerError, "the report could not be stored; retry later")
        }
    }

    private func refuse(_ answer: PlainAnswer, reason: String) -> PlainAnswer {
        metrics.rejected(reason)
        logger.info("report refused", metadata: ["status": "\(answer.status.rawValue)", "reason": "\(reason)"])
        return answer
    }

    private func refreshLastReports() {
        guard let reports = try? store.lastReports() else { return }
        last.withLock { $0 = reports }
    }
}
