/// What the issuer knows and intends for each `mta-sts.` name: a pure state machine that the manager drives, so
/// every decision (order now, wait, back off, stop) is tested without a CA. Times are Unix seconds.
public struct IssuanceBook: Sendable {
    /// The validity of the issued certificate a name currently serves.
    public struct Validity: Sendable, Equatable {
        public let notBefore: Int
        public let notAfter: Int
        public init(notBefore: Int, notAfter: Int) {
            self.notBefore = notBefore
            self.notAfter = notAfter
        }
    }

    public struct Entry: Sendable, Equatable {
        /// The mail domain whose policy asked for this name.
        public var domain: String
        public var certificate: Validity?
        /// When the next order starts: the renewal time, or the end of a back-off.
        public var nextAttempt: Int
        /// Consecutive failures; 0 once an order succeeds.
        public var failures = 0
        /// The last failure, as `type: detail`, kept until an order succeeds.
        public var lastError: String?
        public var inFlight = false
        /// In 0..<1, fixed per name: where in the jitter span its renewals fall.
        public var jitter: Double
        /// The CA's suggested renewal window (RFC 9773) for `certificate`, once asked.
        public var window: RenewalSchedule.Window?
        /// The certificate the CA was last asked about, so each certificate is asked about once.
        public var windowAskedFor: Validity?
    }

    public private(set) var entries: [String: Entry] = [:]
    public let maxInFlight: Int

    public init(maxInFlight: Int) {
        self.maxInFlight = max(maxInFlight, 1)
    }

    /// The names that should have an issued certificate now (host -> domain), with the issued certificates the
    /// catalog currently serves. A name no longer wanted is forgotten: it is not renewed again.
    public mutating func want(_ hosts: [String: String], issued: [String: Validity], now: Int,
                              jitter: (String) -> Double) {
        for host in entries.keys where hosts[host] == nil {
            entries[host] = nil
        }
        for (host, domain) in hosts {
            let certificate = issued[host]
            if var entry = entries[host] {
                entry.domain = domain
                if certificate != entry.certificate {
                    entry.certificate = certificate
                    entry.window = nil
                    if !entry.inFlight && entry.failures == 0 {
                        entry.nextAttempt = Self.nextAttempt(for: certificate, jitter: entry.jitter, now: now)
                    }
                }
                entries[host] = entry
            } else {
                let spread = jitter(host)
                entries[host] = Entry(domain: domain, certificate: certificate,
                                      nextAttempt: Self.nextAttempt(for: certificate, jitter: spread, now: now),
                                      jitter: spread)
            }
        }
    }

    /// Names whose time has come, soonest first, up to the in-flight bound; they are marked in flight.
    public mutating func takeDue(now: Int) -> [String] {
        let busy = entries.values.filter(\.inFlight).count
        let due = entries.filter { !$0.value.inFlight && $0.value.nextAttempt <= now }
            .sorted { ($0.value.nextAttempt, $0.key) < ($1.value.nextAttempt, $1.key) }
            .prefix(max(maxInFlight - busy, 0))
            .map(\.key)
        for host in due { entries[host]?.inFlight = true }
        return due
    }

    /// Whether a finished order's certificate should still be installed.
    public func isWanted(_ host: String) -> Bool { entries[host] != nil }

    public mutating func succeeded(_ host: String, certificate: Validity, now: Int) {
        guard var entry = entries[host] else { return }
        entry.inFlight = false
        entry.failures = 0
        entry.lastError = nil
        entry.certificate = certificate
        entry.window = nil
        entry.nextAttempt = Self.nextAttempt(for: certificate, jitter: entry.jitter, now: now)
        entries[host] = entry
    }

    /// Names whose current certificate the CA has not been asked about yet (ACME Renewal Information); they are
    /// marked asked, with the certificate the answer will be about.
    public mutating func takeRenewalInfoQueries() -> [(host: String, certificate: Validity)] {
        let due = entries.compactMap { host, entry -> (host: String, certificate: Validity)? in
            guard let certificate = entry.certificate, entry.windowAskedFor != certificate, !entry.inFlight else {
                return nil
            }
            return (host, certificate)
        }.sorted { $0.host < $1.host }
        for query in due { entries[query.host]?.windowAskedFor = query.certificate }
        return due
    }

    /// The CA's suggested window for `certificate`: renewal moves earlier if the window starts sooner. Ignored
    /// when the name has another certificate by now, or is failing (its back-off stands).
    public mutating func suggested(_ window: RenewalSchedule.Window, host: String, for certificate: Validity) {
        guard var entry = entries[host], entry.certificate == certificate else { return }
        entry.window = window
        if !entry.inFlight && entry.failures == 0 {
            entry.nextAttempt = RenewalSchedule.renewalTime(notBefore: certificate.notBefore,
                                                            notAfter: certificate.notAfter,
                                                            jitter: entry.jitter, window: window)
        }
        entries[host] = entry
    }

    /// An order failed (`error` as `type: detail`); `retryAfter` is the CA's, when it gave one.
    public mutating func failed(_ host: String, error: String, retryAfter: Int? = nil, now: Int) {
        guard var entry = entries[host] else { return }
        entry.inFlight = false
        entry.failures += 1
        entry.lastError = error
        entry.nextAttempt = now + RetryBackoff.delay(afterFailures: entry.failures, retryAfter: retryAfter)
        entries[host] = entry
    }

    /// When the manager should look again: the soonest attempt of a name not in flight.
    public var nextWakeUp: Int? {
        entries.values.filter { !$0.inFlight }.map(\.nextAttempt).min()
    }

    private static func nextAttempt(for certificate: Validity?, jitter: Double, now: Int) -> Int {
        guard let certificate else { return now }
        return RenewalSchedule.renewalTime(notBefore: certificate.notBefore, notAfter: certificate.notAfter,
                                           jitter: jitter)
    }
}
