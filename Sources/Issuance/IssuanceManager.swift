import ACME
import Catalog
import CoreMetrics
import Dispatch
import FileSystem
import Glibc
import Logging
import DNSClient
import Synchronization
import TLS
import Reactor

/// Runs the ACME orders: follows each installed catalog (which names need a certificate), starts the orders whose
/// time has come on their own threads (never an event loop), writes what they produce where the catalog loads it,
/// and asks the server to reload. The decisions are `IssuanceBook`'s; this is the shell that performs them.
public final class IssuanceManager: @unchecked Sendable {  // mutable state confined to `queue`
    private let settings: IssuanceSettings
    private let challenges: ChallengeCertificates
    private let logger: Logger
    private let queue = DispatchQueue(label: "mta-sts-host.acme")
    private let orders = DispatchQueue(label: "mta-sts-host.acme-orders", attributes: .concurrent)
    /// Renewal information is asked one certificate at a time: a restart with thousands of certificates must not
    /// start thousands of threads, and the answers are needed days ahead, not now.
    private let renewalInfoQueries = DispatchQueue(label: "mta-sts-host.acme-renewal-info")
    private var book: IssuanceBook
    /// Made and registered at the first order; shared by every order (its requests take turns on one connection).
    private let registration = Mutex<ACMEClient?>(nil)
    private lazy var timer = WakeUpTimer(queue: queue)
    private let published = Mutex<[String: IssuanceStatus]>([:])
    private let reload: @Sendable () -> Void
    private let statusChanged: @Sendable () -> Void
    private let ordersTotal: (issued: Counter, failed: Counter, waitingForDNS: Counter)

    /// - Parameters:
    ///   - reload: called after a certificate was written, so the server loads it.
    ///   - statusChanged: called when what `status` shows changed without a reload (a failure, say).
    public init(settings: IssuanceSettings, challenges: ChallengeCertificates, logger: Logger,
                reload: @escaping @Sendable () -> Void, statusChanged: @escaping @Sendable () -> Void) {
        self.settings = settings
        self.challenges = challenges
        self.logger = logger
        self.reload = reload
        self.statusChanged = statusChanged
        book = IssuanceBook(maxInFlight: settings.maxOrdersInFlight)
        let label = "mta_sts_acme_orders_total"
        ordersTotal = (Counter(label: label, dimensions: [("result", "issued")]),
                       Counter(label: label, dimensions: [("result", "failed")]),
                       Counter(label: label, dimensions: [("result", "waiting_for_dns")]))
    }

    /// Each host's state for the status document.
    public var status: [String: IssuanceStatus] { published.withLock { $0 } }

    /// A catalog was installed: the names wanted are `mta-sts.<domain>` of every served domain (aliases too) that
    /// no operator certificate covers. Never a name from anywhere else.
    public func catalogChanged(_ catalog: Catalog) {
        var wanted: [String: String] = [:]
        for domain in catalog.policies.keys {
            let host = Catalog.hostName(forDomain: domain)
            if !catalog.certificates.coversWithOperatorCertificate(host) { wanted[host] = domain }
        }
        var issued: [String: IssuanceBook.Validity] = [:]
        for pair in catalog.certificates.issuedPairs {
            for host in pair.dnsNames where (issued[host]?.notAfter ?? .min) < pair.notAfter {
                issued[host] = .init(notBefore: pair.notBefore, notAfter: pair.notAfter)
            }
        }
        queue.async { [self, wanted, issued] in
            book.want(wanted, issued: issued, now: Self.now(), jitter: { _ in Double.random(in: 0..<1) })
            wake()
        }
    }

    private func wake() {
        let now = Self.now()
        for query in book.takeRenewalInfoQueries() {
            renewalInfoQueries.async { [self] in
                guard let window = renewalWindow(query.host) else { return }
                queue.async { [self] in
                    book.suggested(window, host: query.host, for: query.certificate)
                    publish()
                    schedule()
                }
            }
        }
        for host in book.takeDue(now: now) {
            let domain = book.entries[host]?.domain ?? host
            orders.async { [self] in
                let outcome = order(host)
                queue.async { [self] in finished(host, domain: domain, outcome: outcome) }
            }
        }
        publish()
        schedule()
    }

    private func schedule() {
        guard let next = book.nextWakeUp else { return timer.cancel() }
        timer.arm(after: .seconds(max(next - Self.now(), 0))) { [weak self] in self?.wake() }
    }

    private enum Outcome {
        case issued(CertificateKeyPair)
        case waitingForDNS(String)
        case failed(String, retryAfter: Int?)
    }

    /// One order, start to finish, on an `orders` thread.
    private func order(_ host: String) -> Outcome {
        do {
            switch try DNSResolver(server: settings.resolver).addresses(of: host) {
            case .addresses: break
            case .nonexistent: return .waitingForDNS("dns: \(host) does not exist (NXDOMAIN); not ordering until it resolves")
            case .noAddress: return .waitingForDNS("dns: \(host) has no A or AAAA record; not ordering until it has")
            case .failed(let reason): return .waitingForDNS("dns: looking up \(host) failed: \(reason)")
            }
            let issued: IssuedCertificate
            do {
                issued = try issue(host)
            } catch let problem as ACMEProblem where problem.type.hasSuffix(":accountDoesNotExist") {
                // The CA lost the account (a test CA restarted, say): register again and order at once, rather
                // than fail this order too and wait out a back-off that the CA never asked for.
                registration.withLock { $0 = nil }
                logger.notice("acme \(host): the CA does not know the account any more; registering again")
                issued = try issue(host)
            }
            return .issued(try IssuedCertificateFolder.install(issued, host: host, in: settings.certificatesDirectory))
        } catch let problem as ACMEProblem {
            return .failed("\(problem.type): \(problem.detail)", retryAfter: problem.retryAfter)
        } catch {
            return .failed("\(error)", retryAfter: nil)
        }
    }

    private func issue(_ host: String) throws -> IssuedCertificate {
        try registeredClient().issueCertificate(for: host, responder: Responder(challenges: challenges)) { step in
            logger.info("acme \(host): \(step)")
        }
    }

    private func finished(_ host: String, domain: String, outcome: Outcome) {
        let now = Self.now()
        switch outcome {
        case .issued(let pair):
            ordersTotal.issued.increment()
            book.succeeded(host, certificate: .init(notBefore: pair.notBefore, notAfter: pair.notAfter), now: now)
            logger.notice("acme \(host): certificate installed, valid until \(pair.notAfter) (Unix time)",
                          metadata: ["domain": "\(domain)"])
            reload()
        case .waitingForDNS(let reason):
            ordersTotal.waitingForDNS.increment()
            book.failed(host, error: reason, now: now)
            logger.warning("acme \(host): \(reason); next try in \((book.entries[host]?.nextAttempt ?? now) - now) s")
        case .failed(let reason, let retryAfter):
            ordersTotal.failed.increment()
            book.failed(host, error: reason, retryAfter: retryAfter, now: now)
            logger.warning("acme \(host): order failed: \(reason); next try in \((book.entries[host]?.nextAttempt ?? now) - now) s")
        }
        wake()  // publishes the outcome
    }

    /// The CA's suggested renewal window for the certificate installed for `host`, if the CA offers renewal
    /// information (RFC 9773; Let's Encrypt does, pebble 2.4 does not). Asked once per certificate: a failure
    /// leaves the schedule as it was.
    private func renewalWindow(_ host: String) -> RenewalSchedule.Window? {
        let path = joinPath(joinPath(settings.certificatesDirectory, host), "fullchain.pem")
        do {
            let contents = try readFile(path, limit: 1 << 20)
            guard let window = try registeredClient().renewalInfo(certificatePEM: String(decoding: contents.bytes, as: UTF8.self))
            else { return nil }
            logger.info("acme \(host): the CA suggests renewing between \(window.start) and \(window.end) (Unix time)")
            return RenewalSchedule.Window(start: window.start, end: window.end)
        } catch {
            logger.info("acme \(host): no renewal information: \(error)")
            return nil
        }
    }

    /// The client, with its account registered (once per process, or again after the CA lost it). Orders wait
    /// here for the first registration rather than each registering.
    private func registeredClient() throws -> ACMEClient {
        try registration.withLock { registered in
            if let registered { return registered }
            var account = try ACMEAccount.loadOrCreate(settings)
            let client = try ACMEClient(directoryURL: settings.directoryURL, accountKey: account.key,
                                        contact: settings.contactEmail, trustBundlePath: settings.trustBundlePath)
            let url = try client.account(existingURL: account.url)
            if url != account.url {
                account.url = url
                do {
                    try ACMEAccount.record(url: url, settings: settings)
                    logger.notice("acme: account \(url) at \(settings.directoryURL)")
                } catch {
                    logger.warning("acme: cannot record the account URL: \(error); it is looked up again next start")
                }
            }
            registered = client
            return client
        }
    }

    /// Makes the book's state what `status` shows. The status document is rendered at each load, before the
    /// manager has seen the new catalog: without asking for a new rendering here, a restart would show no planned
    /// renewal, and a new name no order in flight, until some later failure.
    private func publish() {
        let status = book.entries.mapValues {
            IssuanceStatus(nextAttempt: $0.nextAttempt, failures: $0.failures, lastError: $0.lastError,
                           ordering: $0.inFlight)
        }
        let changed = published.withLock { published in
            defer { published = status }
            return published != status
        }
        if changed { statusChanged() }
    }

    private static func now() -> Int { Int(time(nil)) }
}

/// The server's side of TLS-ALPN-01: the challenge certificates its handshakes answer with.
private struct Responder: ChallengeResponder {
    let challenges: ChallengeCertificates
    func install(name: String, certificate: CertificateKeyPair) { challenges.install(certificate, for: name) }
    func remove(name: String) { challenges.remove(for: name) }
}
