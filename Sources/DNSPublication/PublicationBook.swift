/// What the publisher knows and intends for each mail domain's `_mta-sts` TXT record: a pure state machine the
/// manager drives, so every decision (publish now, wait, back off, remove, forget) is tested without a DNS server.
/// Times are Unix seconds. Cheap per event with many domains: due domains wait in a queue rather than being
/// found by scanning every entry, and only a back-off's end scans.
public struct PublicationBook: Sendable {
    public enum State: Sendable, Equatable {
        /// DNS carries `wanted`, as far as this process knows.
        case idle
        /// To publish as soon as a slot is free (or, while `publishing`, right after the update in flight).
        case queued
        /// An update is in flight.
        case publishing
        /// Failed; the next attempt is not before this time.
        case waiting(until: Int)
    }

    public struct Entry: Sendable, Equatable {
        /// The id DNS should carry; nil: the record should be removed (`--dns-update-remove`).
        public var wanted: String?
        /// The id this process last published or found published.
        public var published: String?
        public var state: State = .queued
        /// Consecutive failures; 0 once an update succeeds or the wanted id changes.
        public var failures = 0
        /// The last failure, until an update succeeds.
        public var lastError: String?
    }

    public private(set) var entries: [String: Entry] = [:]
    public let maxInFlight: Int
    /// Whether a domain no longer served has its record removed, rather than left and forgotten.
    public let removesRetiredDomains: Bool
    private var due: [String] = []
    private var dueHead = 0
    private var inFlight: Set<String> = []
    private var earliestWaiting: Int?

    public init(maxInFlight: Int, removesRetiredDomains: Bool) {
        self.maxInFlight = max(maxInFlight, 1)
        self.removesRetiredDomains = removesRetiredDomains
    }

    /// The ids the served catalog carries (domain -> id). Returns the domains no longer served whose record is left
    /// in place (without `removesRetiredDomains`), for the caller to say so once.
    public mutating func want(_ ids: [String: String]) -> [String] {
        var retired: [String] = []
        for (domain, entry) in entries where ids[domain] == nil && entry.wanted != nil {
            if removesRetiredDomains {
                change(domain, to: nil)
            } else {
                entries[domain] = nil
                retired.append(domain)
            }
        }
        for domain in ids.keys.sorted() where entries[domain] == nil || entries[domain]?.wanted != ids[domain] {
            change(domain, to: ids[domain])
        }
        return retired.sorted()
    }

    private mutating func change(_ domain: String, to id: String?) {
        var entry = entries[domain] ?? Entry(wanted: id, state: .idle)
        entry.wanted = id
        entry.failures = 0
        // In flight, the update that is running finishes first and `finished` queues the new id behind it.
        let running = inFlight.contains(domain)
        if entry.state != .queued, !running { due.append(domain) }
        entry.state = .queued
        entries[domain] = entry
    }

    /// Domains to update now, oldest first, up to the in-flight bound; each with the id to publish (nil: remove).
    public mutating func takeDue(now: Int) -> [(domain: String, id: String?)] {
        promoteWaiting(now: now)
        var taken: [(domain: String, id: String?)] = []
        while inFlight.count < maxInFlight, dueHead < due.count {
            let domain = due[dueHead]
            dueHead += 1
            guard var entry = entries[domain], entry.state == .queued, !inFlight.contains(domain) else { continue }
            entry.state = .publishing
            entries[domain] = entry
            inFlight.insert(domain)
            taken.append((domain, entry.wanted))
        }
        if dueHead > 1024, dueHead * 2 > due.count {
            due.removeFirst(dueHead)
            dueHead = 0
        }
        return taken
    }

    /// The update of `domain` to `id` (nil: removal) succeeded: DNS carries it now.
    public mutating func succeeded(_ domain: String, id: String?) {
        finished(domain) { entry in
            entry.published = id
            entry.failures = 0
            entry.lastError = nil
            return id == nil && entry.wanted == nil && entry.state == .publishing
        }
    }

    /// The update failed; `error` says why (with the server's RCODE when it answered).
    public mutating func failed(_ domain: String, error: String, now: Int) {
        finished(domain) { entry in
            entry.failures += 1
            entry.lastError = error
            if entry.state == .publishing {
                entry.state = .waiting(until: now + PublicationBackoff.delay(afterFailures: entry.failures))
            }
            return false
        }
        if case .waiting(let until) = entries[domain]?.state {
            earliestWaiting = min(earliestWaiting ?? until, until)
        }
    }

    /// `outcome` updates the entry and says whether to forget it (a completed removal).
    private mutating func finished(_ domain: String, outcome: (inout Entry) -> Bool) {
        inFlight.remove(domain)
        guard var entry = entries[domain] else { return }
        if outcome(&entry) {
            entries[domain] = nil
            return
        }
        switch entry.state {
        case .publishing: entry.state = .idle
        case .queued: due.append(domain)  // the wanted id changed while the update ran
        case .idle, .waiting: break
        }
        entries[domain] = entry
    }

    /// When the manager should look again for a domain whose back-off ends; due domains are taken as slots free.
    public var nextWakeUp: Int? { earliestWaiting }

    /// Domains waiting for a free slot or in flight.
    public var pendingCount: Int { due.count - dueHead + inFlight.count }

    private mutating func promoteWaiting(now: Int) {
        guard let earliest = earliestWaiting, earliest <= now else { return }
        var ready: [(until: Int, domain: String)] = []
        var next: Int?
        for (domain, entry) in entries {
            guard case .waiting(let until) = entry.state else { continue }
            if until <= now { ready.append((until, domain)) } else { next = min(next ?? until, until) }
        }
        for (_, domain) in ready.sorted(by: { ($0.until, $0.domain) < ($1.until, $1.domain) }) {
            entries[domain]?.state = .queued
            due.append(domain)
        }
        earliestWaiting = next
    }
}
