import Catalog
import CoreMetrics
internal import CLinux
import Dispatch
import FileSystem
import Glibc
import HTTP
import Logging
import Reactor
import TLS

/// One event loop: a serial queue, its own listening sockets, its connections and their timeouts.
/// Everything here runs on `queue`, so nothing in it is locked (hence @unchecked Sendable).
final class EventLoop: @unchecked Sendable {
    let queue: DispatchQueue
    /// Readiness of every connection on this loop, through one Dispatch source.
    let poller: SocketPoller
    let configuration: ServerConfiguration
    /// The configuration's connection timeouts, in milliseconds.
    let timeouts: ConnectionTimeouts
    /// Replaced when session-ticket keys rotate; connections keep the one they started with.
    private(set) var tlsContext: TLSServerContext
    private let logger: Logger
    private let maxConnections: Int
    /// The current snapshot: new connections take their certificates from it, every request its answer.
    private(set) var catalog: Catalog
    private var connections = ConnectionTable()
    private var acceptors: [Acceptor] = []
    private var sweepTimer: DispatchSourceTimer?
    private var lastExhaustionLog = -60
    private var heapTrim = HeapTrimSchedule()
    private(set) var isDraining = false
    private var onDrained: (() -> Void)?
    private let metrics: ServerMetrics
    private let clientLimiter: ClientAddressLimiter?
    /// Metric handles by label values, created once per loop so the request path does not allocate them.
    private var requestCounters: [Int: Counter] = [:]
    private var failureCounters: [String: Counter] = [:]
    /// Told of each refused handshake for a served name without a certificate; it decides whether to log it.
    private let uncoveredRefusal: @Sendable (String) -> Void

    /// Decrypted input lands here for every connection on this loop: one buffer, not one per connection.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16 * 1024 + 512, alignment: 16)
    let date = HTTPDate()
    /// What one call into a connection's exchange reported, reported in turn (`reportExchangeEvents`) before the
    /// next call: one per loop, so that its capacity is reused.
    var exchangeEvents = ExchangeEvents()

    init(index: Int, configuration: ServerConfiguration, tlsContext: TLSServerContext, catalog: Catalog,
         metrics: ServerMetrics, clientLimiter: ClientAddressLimiter?, logger: Logger,
         uncoveredRefusal: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.metrics = metrics
        self.uncoveredRefusal = uncoveredRefusal
        self.clientLimiter = clientLimiter
        self.queue = DispatchQueue(label: "mta-sts-host.loop.\(index)")
        self.poller = try SocketPoller(queue: queue, hold: Self.hold)
        self.configuration = configuration
        self.timeouts = ConnectionTimeouts(configuration)
        self.tlsContext = tlsContext
        self.catalog = catalog
        self.logger = logger
        self.maxConnections = max(1, configuration.maxConnections / max(1, configuration.workers))
    }

    deinit { readBuffer.deallocate() }

    /// How long a busy loop keeps its thread waiting for the next event before handing it back to Dispatch (see
    /// SocketPoller). It bounds how late the timeout sweep and queued work may run, so it is kept well under the
    /// sweep's 250 ms; work queued through `perform` wakes the loop at once.
    static let hold = Duration.milliseconds(50)

    /// Runs `work` on the loop's queue, waking the loop if it is holding its thread.
    func perform(_ work: @escaping @Sendable () -> Void) {
        queue.async(execute: work)
        poller.wake()
    }

    /// Starts accepting on the given listening sockets. Runs on the queue.
    func start(listening descriptors: [Int32]) {
        for descriptor in descriptors {
            let acceptor = Acceptor(descriptor: descriptor, poller: poller, queue: queue,
                                    hasCapacity: { [unowned self] in connections.count < maxConnections && !isDraining },
                                    onAccept: { [unowned self] in accepted($0) },
                                    onExhausted: { [unowned self] in descriptorsExhausted($0) })
            acceptors.append(acceptor)
            acceptor.start()
        }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250), leeway: .milliseconds(50))
        timer.setEventHandler { [unowned self] in sweep() }
        timer.activate()
        sweepTimer = timer
    }

    func replaceCatalog(_ catalog: Catalog) { self.catalog = catalog }

    func replaceTLSContext(_ context: TLSServerContext) { tlsContext = context }

    private func accepted(_ socket: Socket) {
        var clientAddress: ClientAddress?
        if let clientLimiter {
            clientAddress = clientLimiter.admit(socket.descriptor)
            guard clientAddress != nil else {
                // Over the per-client limit: closed before any TLS work is spent on it.
                socket.close()
                return
            }
        }
        // TLS is set up when the client's first bytes arrive (at once when they came with the accept); a failure
        // then is counted as a `tls_setup` handshake failure and closes that connection only.
        let connection = Connection(descriptor: socket.descriptor, loop: self)
        connections.insert(connection, address: clientAddress)
        heapTrim.opened(openConnections: connections.count)
        metrics.openConnections.increment()
        connection.start()
    }

    func connectionClosed(_ connection: Connection) {
        let address = connections.remove(connection.descriptor)
        metrics.openConnections.decrement()
        if let address { clientLimiter?.release(address) }
        if isDraining, connections.isEmpty, let pending = onDrained {
            onDrained = nil
            pending()
        }
        acceptors.forEach { $0.resumeIfPaused() }
    }

    /// Closes connections whose phase (handshake, head, idle, lingering close) ran out of time.
    private func sweep() {
        let now = MonotonicClock.coarseMilliseconds()
        connections.forEach { connection in
            if connection.deadline <= now { connection.timedOut() }
        }
        if heapTrim.sweep(now: now, openConnections: connections.count) { _ = malloc_trim(0) }
    }

    private func descriptorsExhausted(_ code: Int32) {
        let now = MonotonicClock.seconds()
        guard now - lastExhaustionLog >= 10 else { return }
        lastExhaustionLog = now
        logger.error("cannot accept connections: \(SystemError("accept", code: code)); pausing accepts briefly",
                     metadata: ["open_connections": "\(connections.count)"])
    }

    /// Stops accepting, closes idle connections, and calls `done` once every connection has closed.
    func drain(done: @escaping () -> Void) {
        isDraining = true
        acceptors.forEach { $0.stop() }
        acceptors = []
        onDrained = done
        connections.forEach { $0.drain() }
        // A connection that closed during its drain has already called `onDrained` (and cleared it): `done` must
        // run exactly once, or the DispatchGroup waiting on it traps on an unbalanced leave.
        if connections.isEmpty, let pending = onDrained {
            onDrained = nil
            pending()
        }
    }

    // MARK: events from connections

    func handshakeCompleted(_ tls: TLSConnection) {
        heapTrim.handshakeCompleted()
        metrics.handshakes.increment()
    }

    /// `refusedServerName`: the SNI name refused as unknown, if that was the reason.
    func handshakeFailed(reason: String, refusedServerName: String? = nil) {
        let label = ServerMetrics.handshakeFailureReason(reason)
        let counter = failureCounters[label] ?? ServerMetrics.handshakeFailures(reason: label)
        failureCounters[label] = counter
        counter.increment()
        logger.debug("TLS handshake failed", metadata: ["reason": "\(reason)"])
        // Only names this catalog serves: anyone can send any SNI, and those are not worth more than the debug line.
        if let refusedServerName, catalog.serves(host: refusedServerName) { uncoveredRefusal(refusedServerName) }
    }

    /// Counts and logs what a connection's exchange reported (`exchangeEvents`), then clears it.
    func reportExchangeEvents(host: String?) {
        // By index: iterating a copy of the array would keep it shared, and clearing it would then reallocate.
        for index in exchangeEvents.answered.indices {
            let answered = exchangeEvents.answered[index]
            requestAnswered(status: answered.status, head: answered.head, host: host)
        }
        if let failure = exchangeEvents.failure {
            logger.debug("HTTP/2 session ended", metadata: ["reason": "\(failure)", "host": "\(host ?? "-")"])
        }
        exchangeEvents.clear()
    }

    func requestAnswered(status: Int, head: HTTPRequestHead?, host: String?) {
        let isHTTP2 = head?.version == .http2
        let key = status * 2 + (isHTTP2 ? 1 : 0)
        let counter = requestCounters[key] ?? ServerMetrics.requests(protocol: isHTTP2 ? "h2" : "http/1.1", status: status)
        requestCounters[key] = counter
        counter.increment()
        guard logger.logLevel <= .info else { return }
        var metadata: Logger.Metadata = ["status": "\(status)", "host": "\(host ?? "-")"]
        if let head {
            metadata["path"] = "\(head.path)"
            metadata["method"] = "\(head.method.name)"
        }
        logger.info("request", metadata: metadata)
    }
}

extension HTTPRequestHead.Method {
    var name: String {
        switch self {
        case .get: "GET"
        case .head: "HEAD"
        case .other(let name): name
        }
    }
}
