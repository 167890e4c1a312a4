import Catalog
internal import CLinux
import Dispatch
import FileSystem
import Glibc
import Logging
import Reactor
import Synchronization
import TLS

/// Wires the pieces: loads the catalog, binds the listeners, runs the event loops, reloads and shuts down.
public final class Server: @unchecked Sendable {
    public let configuration: ServerConfiguration
    private let logger: Logger
    /// Reloads and signals are handled here, never on an event loop.
    private let control = DispatchQueue(label: "mta-sts-host.control")
    /// Logging, the status file and metrics after a load: off the control queue, so reloads never wait on them.
    private let reporting = DispatchQueue(label: "mta-sts-host.reporting")
    private let signals = SignalWatcher()
    private var loops: [EventLoop] = []
    private var watcher: FileWatcher?
    private var ticketKeyRotation: DispatchSourceTimer?
    private var catalog: Catalog?
    private var lastReport = CatalogLoader.Report()
    private var shuttingDown = false
    /// Set (on the control queue) by the first of: drained, shutdown timeout, second stop signal.
    private var hasStopped = false
    /// What `waitUntilStopped` waits for.
    private let stoppedSignal = DispatchSemaphore(value: 0)
    /// Read by the admin endpoint without waiting for the control queue, which may be busy reloading.
    private let isReady = Atomic<Bool>(false)
    /// Whether a `statusChanged` refresh is already waiting on the reporting queue.
    private let statusRefreshQueued = Atomic<Bool>(false)
    private let publishedStatus = Mutex<String>("{}\n")
    private let metrics = ServerMetrics()
    private lazy var statusPublisher = StatusPublisher(
        queue: reporting, stateDirectory: configuration.stateDirectory, owner: configuration.stateOwner,
        logger: logger, metrics: metrics, publish: { [unowned self] text in publishedStatus.withLock { $0 = text } },
        attachments: { [unowned self] in
            var attachments = DomainAttachments()
            for source in statusSources.withLock({ $0 }) { source(&attachments) }
            return attachments
        })
    private let reportLog: LoadReportLog
    /// Each domain's state after the last load; touched only on the reporting queue.
    private var lastStates: [String: DomainState] = [:]
    private let metricsExposition: @Sendable () -> [UInt8]
    private var admin: AdminServer?
    /// The public addresses and then the admin address, as bound.
    private var listening: [SocketAddress] = []
    private var readyFileDescriptor: Int32 = -1
    private var certificateExpiryRefresh: DispatchSourceTimer?
    /// Told of every catalog installed (on the reporting queue): the ACME issuer follows the served domains.
    private let catalogObservers = Mutex<[@Sendable (Catalog) -> Void]>([])
    /// What the background parts (ACME, DNS publication, verification) add to each domain in the status
    /// document, read at each render.
    private let statusSources = Mutex<[@Sendable (inout DomainAttachments) -> Void]>([])
    /// Shared by the event loops, so a name is logged once per process, not once per loop.
    private let uncoveredNames = Mutex(UncoveredNameLog())

    /// - Parameter metricsExposition: renders /metrics (the Prometheus registry the metrics backend writes to).
    public init(configuration: ServerConfiguration, logger: Logger,
                metricsExposition: @escaping @Sendable () -> [UInt8] = { [] }) {
        self.configuration = configuration
        self.logger = logger
        self.reportLog = LoadReportLog(logger: logger)
        self.metricsExposition = metricsExposition
    }

    /// Loads, binds and starts accepting; returns the bound addresses. Signals and file changes are watched from
    /// the start, and handled once start-up is complete (it runs on the control queue that handles them).
    @discardableResult
    public func start() throws -> [SocketAddress] {
        try control.sync { try startOnControlQueue() }
    }

    private func startOnControlQueue() throws -> [SocketAddress] {
        signal(SIGPIPE, SIG_IGN)
        let started = MonotonicClock.milliseconds()
        watchSignalsAndFiles()
        let (catalog, report) = try CatalogLoader.load(configuration.catalogSources)
        // With ACME, a domain without a certificate yet is one the issuer is about to order for.
        let uncovered = configuration.challenges == nil ? catalog.uncoveredDomains : []
        if configuration.strict, report.hasProblems || !uncovered.isEmpty {
            reportLog.log(report)
            var reasons = report.problems + report.rejectedPolicyFiles.map { "rejected policy file \($0)" }
                + report.certificateProblems
            if !uncovered.isEmpty {
                reasons.append("no certificate for the mta-sts. host of \(CatalogDiff.summary(uncovered, limit: 20))")
            }
            throw StartupError("refusing to start (--strict): " + reasons.joined(separator: "; "))
        }
        self.catalog = catalog
        lastReport = report
        let tlsContext = try TLSServerContext(settings: configuration.tls, challenges: configuration.challenges)
        let (bound, descriptors) = try bindListeners()
        let clientLimiter = configuration.maxConnectionsPerClient > 0
            ? ClientAddressLimiter(limit: configuration.maxConnectionsPerClient) : nil
        loops = try (0..<max(1, configuration.workers)).map {
            try EventLoop(index: $0, configuration: configuration, tlsContext: tlsContext, catalog: catalog,
                          metrics: metrics, clientLimiter: clientLimiter, logger: logger,
                          uncoveredRefusal: { [unowned self] host in refusedForWantOfCertificate(host) })
        }
        for (loop, loopDescriptors) in zip(loops, descriptors) {
            loop.queue.sync { loop.start(listening: loopDescriptors) }
        }
        // Once serving: thousands of warning lines do not hold up the first request.
        reportLog.log(report)
        var listening = bound
        if let adminAddress = configuration.adminAddress {
            let admin = try AdminServer(endpoints: .init(
                isReady: { [self] in isReady.load(ordering: .relaxed) },
                metrics: metricsExposition,
                status: { [self] in publishedStatus.withLock { $0 } }))
            listening.append(try admin.start(adminAddress))
            self.admin = admin
        }
        installed(catalog, report: report)
        self.listening = listening
        if let readyFile = configuration.readyFile {
            // Opened now, while the server may still be root: the directory need not be writable by `--user`.
            readyFileDescriptor = open(readyFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard readyFileDescriptor >= 0 else { throw SystemError("open \(readyFile)") }
        }
        var summary: Logger.Metadata = [
            "listen": "\(bound.map(\.description).joined(separator: " "))",
            "domains": "\(catalog.policies.count)",
            "certificates": "\(catalog.certificates.pairs.count)",
            "rejected_policies": "\(report.rejectedPolicyFiles.count)",
            "skipped_certificates": "\(report.certificateProblems.count)",
            "workers": "\(loops.count)",
            "startup_ms": "\(MonotonicClock.milliseconds() - started)",
        ]
        if listening.count > bound.count {
            summary["admin"] = "\(listening.dropFirst(bound.count).map(\.description).joined(separator: " "))"
        }
        logger.notice("serving", metadata: summary)
        for domain in catalog.uncoveredDomains {
            logger.warning("no certificate covers \(Catalog.hostName(forDomain: domain)): senders cannot fetch the policy of \(domain)")
        }
        return bound
    }

    /// Reports readiness once `start` returned and the caller is done setting up (privileges dropped):
    /// `/readyz` answers ready and the ready file lists the addresses. By then `/status`, `/metrics` and
    /// status.json describe what is served.
    public func announceReady() throws {
        reporting.sync {}
        isReady.store(true, ordering: .relaxed)
        let (descriptor, addresses) = control.sync { (readyFileDescriptor, listening) }
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        // Where the server listens, one address per line, in one write: a reader sees an empty file until then,
        // and a complete last line is the signal.
        let text = Array(addresses.map { $0.description + "\n" }.joined().utf8)
        guard text.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == text.count else {
            throw SystemError("write \(configuration.readyFile ?? "")")
        }
    }

    /// Serves until SIGTERM or SIGINT has been handled: returns once every connection has closed, the shutdown
    /// timeout has passed, or a second stop signal came. The event loops still run then: the caller exits.
    public func waitUntilStopped() {
        stoppedSignal.wait()
    }

    /// SIGHUP reloads, SIGTERM and SIGINT stop gracefully (a second one exits at once), file changes reload.
    private func watchSignalsAndFiles() {
        signals.watch(SIGHUP, queue: control) { [self] in
            // A root replaced where no event reaches (a symlink swapped further up) is picked up here.
            for root in watcher?.refreshRoots() ?? [] { logger.notice("watching \(root) again: it was replaced") }
            reload(trigger: "SIGHUP")
        }
        if configuration.watch {
            do {
                watcher = try FileWatcher(roots: [configuration.policiesDirectory, configuration.certificatesDirectory],
                                          excluding: configuration.excludedPaths, queue: control,
                                          onWarning: { [self] in reportLog.warnOnce($0) }) { [self] changes in
                    for root in changes.replacedRoots { logger.notice("watching \(root) again: it was replaced") }
                    reload(trigger: "file change", changes: changes)
                }
            } catch {
                logger.error("cannot watch for file changes (\(error)); reload with SIGHUP")
            }
        }
        if configuration.tls.sessionTickets > 0 { rotateTicketKeys(every: configuration.ticketKeyLifetime) }
        for stopSignal in [SIGTERM, SIGINT] {
            signals.watch(stopSignal, queue: control) { [self] in stop(timeout: configuration.shutdownTimeout) }
        }
    }

    /// Builds a new catalog off the event loops and swaps it in; a failure keeps the current one. Scope, load, merge,
    /// swap, report: the file events decide what is read again (only the policy files they name, or everything),
    /// `CatalogLoader.scan` reads it, `CatalogMerge.merge` decides what serves (keep-the-last-good), the loops get
    /// the result, and the reporting queue says what changed. Certificates changed beyond one batch follow in
    /// further passes of the same chain, each queued right after the previous one is installed.
    public func reload(trigger: String = "request", changes: FileChanges? = nil) {
        reload(trigger: trigger, changes: changes, batch: CatalogMerge.Batch())
    }

    private func reload(trigger: String, changes: FileChanges?, batch: CatalogMerge.Batch) {
        control.async { [self] in
            let started = MonotonicClock.milliseconds()
            do {
                // Scope. Files whose writer has not closed them keep their previous version until it has.
                let beingWritten = watcher?.pathsBeingWritten ?? []
                var scope = CatalogLoader.Scope.everything
                if let changes, catalog != nil,
                   let names = ReloadScope.policyNames(in: changes, configuration: configuration, beingWritten: beingWritten) {
                    guard !names.isEmpty else { return }  // editor swap files and the like
                    scope = .policyFiles(names)
                }
                // Load (I/O), then merge (pure).
                let sources = configuration.catalogSources
                let scanned = try CatalogLoader.scan(scope, sources: sources, previous: catalog, batch: batch,
                                                     beingWritten: beingWritten)
                let merged = CatalogMerge.merge(previous: catalog, previousReport: lastReport, scanned: scanned,
                                                batch: batch, sources: sources)
                let next = merged.catalog, report = merged.report
                // Swap. Serve it first; logging, the status file and metrics (slow with many domains) come after,
                // on the reporting queue, so the next change is not held up behind them either.
                let swapped = DispatchGroup()
                for loop in loops {
                    swapped.enter()
                    loop.perform {
                        loop.replaceCatalog(next)
                        swapped.leave()
                    }
                }
                // Only its policies: holding the previous catalog would keep its certificates alive past the trim.
                let policiesBefore = catalog?.policies ?? [:]
                let rejectedBefore = lastReport.rejectedCertificates
                installed(next, report: report, swapped: swapped)
                let swappedMilliseconds = MonotonicClock.milliseconds() - started
                // Once the event loops and the handshakes in progress have let go of the previous snapshot, its
                // memory goes back to the system rather than idling in malloc's arenas.
                reporting.asyncAfter(deadline: .now() + 1) { _ = malloc_trim(0) }
                // Follow-up: the next certificate batch of the chain (the merge decides whether there is one).
                if let nextBatch = merged.nextBatch {
                    reload(trigger: "next certificate batch", changes: nil, batch: nextBatch)
                }
                // Report.
                reporting.async { [self] in
                    reportLog.log(report)
                    let diff = CatalogDiff(before: Catalog.servedIDs(policiesBefore), after: next.servedIDs)
                    metrics.reloaded(report.problems.isEmpty ? .success : .partial)
                    // Empty fields stay: JSON logs keep stable keys, and the text format leaves them out.
                    logger.notice("reloaded", metadata: [
                        "trigger": "\(trigger)",
                        "scope": "\(report.scope)",
                        "domains": "\(next.policies.count)",
                        "added": "\(CatalogDiff.summary(diff.added))",
                        "changed": "\(CatalogDiff.summary(diff.changed))",
                        "removed": "\(CatalogDiff.summary(diff.removed))",
                        "rejected": "\(report.rejectedPolicyFiles.count)",
                        "certificates": "\(next.certificates.pairs.count)",
                        "certificates_parsed": "\(report.certificatesParsed)",
                        "certificates_deferred": "\(report.certificatesDeferred)",
                        "ms": "\(swappedMilliseconds)",
                    ])
                    reportLog.retiredPolicies(diff.removed, before: policiesBefore)
                    reportLog.recoveredCertificates(rejectedBefore: rejectedBefore, report: report, loaded: next)
                }
            } catch {
                metrics.reloaded(.failure)
                logger.error("reload failed; still serving the previous policies: \(error)")
            }
        }
    }

    /// Calls `observer` with every catalog installed from now on, and with the current one if there is one.
    public func observeCatalog(_ observer: @escaping @Sendable (Catalog) -> Void) {
        catalogObservers.withLock { $0.append(observer) }
        reporting.async { [self] in
            if let current = control.sync(execute: { catalog }) { observer(current) }
        }
    }

    /// Adds a part of each domain's status (ACME, DNS publication, verification), filled in at every render;
    /// `statusChanged` renders it again.
    public func reportStatus(_ source: @escaping @Sendable (inout DomainAttachments) -> Void) {
        statusSources.withLock { $0.append(source) }
        statusChanged()
    }

    /// A handshake for a served name was refused because no certificate covers it (yet: ACME may be ordering it).
    /// Called on an event loop.
    private func refusedForWantOfCertificate(_ host: String) {
        guard uncoveredNames.withLock({ $0.refused(host, served: true) }) else { return }
        logger.notice("TLS handshake refused: no certificate for this name yet; senders are refused until one is installed (logged once per name)",
                      metadata: ["host": "\(host)"])
    }

    /// Something the status document shows changed between loads (an ACME order failed, say). At most one
    /// refresh waits on the reporting queue: with thousands of domains a rendering takes a while, and a backlog of
    /// them would hold up the next load's report and the catalog observers (the DNS publisher) behind it.
    public func statusChanged() {
        guard !statusRefreshQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
        reporting.async { [self] in
            statusRefreshQueued.store(false, ordering: .releasing)
            statusPublisher.refresh()
        }
    }

    /// Records a newly loaded catalog (on the control queue); its status file and metrics follow on the
    /// reporting queue.
    /// Observers hear of `next` only once every event loop serves it (`swapped`): the DNS publisher relies on
    /// that, so a sender that sees a new id fetches the new policy.
    private func installed(_ next: Catalog, report: CatalogLoader.Report, swapped: DispatchGroup = DispatchGroup()) {
        catalog = next
        lastReport = report
        uncoveredNames.withLock { log in
            log.catalogInstalled(stillUncovered: { next.serves(host: $0) && !next.certificates.covers($0) })
        }
        reporting.async { [self] in
            let states = DomainHealth.states(next, rejectedPolicyFiles: report.rejectedPolicyFiles, now: time(nil))
            reportLog.lostCertificates(before: lastStates, after: states)
            lastStates = states
            metrics.loaded(next, report: report, states: states)
            statusPublisher.loaded(next, report: report, states: states)
            swapped.wait()
            for observer in catalogObservers.withLock({ $0 }) { observer(next) }
        }
        if certificateExpiryRefresh == nil {
            // Remaining lifetimes drift between reloads: refresh them every minute.
            let timer = DispatchSource.makeTimerSource(queue: reporting)
            timer.schedule(deadline: .now() + 60, repeating: 60)
            timer.setEventHandler { [self] in
                let pairs = control.sync { catalog?.certificates.pairs ?? [] }
                metrics.refreshCertificateExpiry(pairs)
            }
            timer.activate()
            certificateExpiryRefresh = timer
        }
    }

    /// A fresh SSL_CTX comes with fresh random ticket keys, so rotating keys is swapping contexts: tickets from the
    /// old keys stop resuming, and those clients make one full handshake.
    private func rotateTicketKeys(every seconds: Int) {
        let timer = DispatchSource.makeTimerSource(queue: control)
        timer.schedule(deadline: .now() + .seconds(seconds), repeating: .seconds(seconds))
        timer.setEventHandler { [self] in
            do {
                let context = try TLSServerContext(settings: configuration.tls, challenges: configuration.challenges)
                for loop in loops { loop.perform { loop.replaceTLSContext(context) } }
                logger.info("rotated TLS session ticket keys")
            } catch {
                logger.error("cannot rotate TLS session ticket keys: \(error)")
            }
        }
        timer.activate()
        ticketKeyRotation = timer
    }

    private func stop(timeout: Int) {
        if shuttingDown {
            return stopped { logger.notice("second stop signal: exiting now") }
        }
        shuttingDown = true
        // Load balancers and Kubernetes stop sending new clients while in-flight requests finish.
        isReady.store(false, ordering: .relaxed)
        logger.notice("stopping: finishing in-flight requests", metadata: ["timeout_s": "\(timeout)"])
        let group = DispatchGroup()
        for loop in loops {
            group.enter()
            loop.perform { loop.drain { group.leave() } }
        }
        group.notify(queue: control) { [self] in
            stopped { logger.notice("stopped") }
        }
        control.asyncAfter(deadline: .now() + .seconds(timeout)) { [self] in
            stopped { logger.warning("shutdown timeout reached with connections still open; exiting") }
        }
    }

    /// Logs why and ends `waitUntilStopped`, for the first of the three ways to stop only: the others may still
    /// come while the caller is exiting, and must not log. On the control queue.
    private func stopped(_ log: () -> Void) {
        guard !hasStopped else { return }
        hasStopped = true
        log()
        stoppedSignal.signal()
    }

    /// One socket per loop per address (SO_REUSEPORT). Port 0 is resolved by the first bind and reused.
    private func bindListeners() throws -> ([SocketAddress], [[Int32]]) {
        var bound: [SocketAddress] = []
        var perLoop = [[Int32]](repeating: [], count: max(1, configuration.workers))
        for address in configuration.listen {
            var address = address
            for index in perLoop.indices {
                let (descriptor, port) = try ListeningSocket.open(address)
                address.port = port
                perLoop[index].append(descriptor)
            }
            bound.append(address)
        }
        return (bound, perLoop)
    }
}
