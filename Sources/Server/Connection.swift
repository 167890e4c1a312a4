import Catalog
import HTTP
import Reactor
import TLS

/// One client connection on one event loop: the I/O shell around `ConnectionStateMachine`, which decides. It reports
/// each event (readiness, a handshake step, a read or write result, a timeout, a drain) to the machine and performs
/// the action returned: TLS through OpenSSL, the protocol exchange (HTTP/1.1 or HTTP/2, by ALPN), the socket.
/// TLS is set up when the client's first bytes arrive, not at accept: a connection that sends nothing costs this
/// object and its socket only. All methods run on the loop's queue.
final class Connection: SocketEventHandler {
    typealias Action = ConnectionStateMachine.Action

    // Stored properties are ordered so that the object packs into 88 bytes (a 96-byte heap block): 2,000 idle
    // connections are 2,000 of them.
    /// The loop owns its connections and closes them all before it goes.
    private unowned(unsafe) let loop: EventLoop
    /// Made when the first bytes arrive (`beginHandshake`); set from then on.
    private var tls: TLSConnection?
    /// Set once the handshake completes.
    private var exchange: ProtocolExchange?
    /// Response bytes the socket has not taken yet.
    private var output: [UInt8] = []
    private var outputSent = 0
    private var registration: SocketRegistration
    private var machine: ConnectionStateMachine

    var descriptor: Int32 { registration.descriptor }
    var state: ConnectionStateMachine.State { machine.state }
    /// When the current phase times out (handshake, request head, idle, stalled write, lingering close), in
    /// coarse monotonic milliseconds.
    var deadline: Int { machine.deadline }

    init(descriptor: Int32, loop: EventLoop) {
        self.loop = loop
        registration = SocketRegistration(descriptor: descriptor, poller: loop.poller)
        machine = ConnectionStateMachine(now: MonotonicClock.coarseMilliseconds(), timeouts: loop.timeouts)
        registration.register(handler: self)
    }

    // MARK: events

    /// Just accepted: the ClientHello is usually there already (TCP_DEFER_ACCEPT), see `ConnectionStateMachine.readable`.
    func start() {
        perform(machine.readable())
    }

    func socketReadable() {
        perform(machine.readable())
    }

    func socketWritable() {
        registration.setWriting(false)
        perform(machine.writable())
    }

    /// Called by the loop's sweep (four times a second) once `deadline` has passed.
    func timedOut() {
        perform(machine.timedOut())
    }

    /// Graceful shutdown: idle connections close, busy ones finish their requests first.
    func drain() {
        perform(machine.drain())
    }

    func close() {
        perform(machine.close())
    }

    // MARK: actions

    private func perform(_ action: Action) {
        switch action {
        case .none, .continueReading:
            break
        case .checkFirstBytes:
            perform(machine.firstBytesChecked(peekFirstBytes()))
        case .beginHandshake:
            beginHandshake()
        case .continueHandshake:
            continueHandshake()
        case .startExchange:
            startExchange()
        case .failHandshake(let reason):
            loop.handshakeFailed(reason: reason, refusedServerName: tls?.refusedServerName)
            closeSocket()
        case .read:
            readInput()
        case .awaitWritable:
            registration.setWriting(true)
        case .stopReadingUntilWritable:
            registration.setReading(false)
            registration.setWriting(true)
        case .flushThenResumeReading:
            if flushOutput() {
                registration.setReading(true)
                // Input that arrived meanwhile, or sits decrypted inside OpenSSL, is not signalled again.
                readInput()
            }
        case .sendCloseNotify:
            sendCloseNotify()
        case .linger:
            registration.socket.shutdownWrite()
            registration.setReading(true)
            discardUntilClosed()
        case .discard:
            discardUntilClosed()
        case .timeOutExchange:
            guard let exchange else { return close() }
            exchange.timedOut(context: exchangeContext(), output: &output, events: &loop.exchangeEvents)
            reportEvents()
            _ = flushOutput()
        case .drainExchange:
            guard let exchange else { return }
            exchange.drain(output: &output, events: &loop.exchangeEvents)
            reportEvents()
            _ = flushOutput()
        case .close:
            closeSocket()
        }
    }

    // MARK: TLS

    /// With the loop's current TLS context and catalog: a connection that has sent nothing has not started yet.
    private func beginHandshake() {
        guard let tls = TLSConnection(context: loop.tlsContext, fileDescriptor: descriptor,
                                      selection: loop.catalog.selection) else {
            return perform(machine.tlsSetupFailed())
        }
        self.tls = tls
        continueHandshake()
    }

    private func continueHandshake() {
        // Set by `beginHandshake`, which the machine orders before any handshake step.
        guard let tls else { return }
        let result = tls.handshake()
        let refusal: String? = if case .failed = result { tls.refusal } else { nil }
        perform(machine.handshakeStepped(result, refusal: refusal, answeredChallenge: tls.isChallenge,
                                         now: MonotonicClock.coarseMilliseconds(), timeouts: loop.timeouts))
    }

    private func startExchange() {
        guard let tls else { return }
        let exchange = makeExchange(alpnProtocol: tls.alpnProtocol)
        self.exchange = exchange
        loop.handshakeCompleted(tls)
        // HTTP/2 speaks first (SETTINGS); an HTTP/1.1 request often arrived with the client's Finished.
        exchange.produce(output: &output, events: &loop.exchangeEvents)
        reportEvents()
        if flushOutput() { readInput() }
    }

    private func makeExchange(alpnProtocol: String?) -> ProtocolExchange {
        if alpnProtocol == "h2" {
            var settings = loop.configuration.http2
            settings.maxStreamsPerConnection = loop.configuration.maxRequestsPerConnection
            settings.maxRequestBodyBytes = loop.configuration.reports?.maxBodyBytes ?? 0
            return .http2(HTTP2Exchange(settings: settings))
        }
        return .http1(HTTP1Exchange())
    }

    /// What the exchange needs for one call: the loop's current snapshot, so a reload reaches requests on
    /// connections already open.
    private func exchangeContext() -> ExchangeContext {
        ExchangeContext(catalog: loop.catalog, serverName: tls?.sentServerName, date: loop.date.current(),
                        isDraining: loop.isDraining, maxRequests: loop.configuration.maxRequestsPerConnection,
                        maxReportBytes: loop.configuration.reports?.maxBodyBytes ?? 0)
    }

    private func reportEvents() {
        guard !loop.exchangeEvents.isEmpty else { return }
        if !loop.exchangeEvents.uploads.isEmpty { handOn(loop.exchangeEvents.uploads) }
        loop.reportExchangeEvents(host: tls?.host)
    }

    // MARK: report uploads

    /// Hands complete report bodies to the report route, which stores them off the loop; each answer comes back
    /// on the loop (`uploadAnswered`). An HTTP/1.1 connection stops reading meanwhile (level-triggered readiness
    /// would otherwise wake the loop for input it will not read).
    private func handOn(_ uploads: [ReportUpload]) {
        guard let route = loop.configuration.reports else { return }
        if case .http1 = exchange { registration.setReading(false) }
        let catalog = loop.catalog
        let servesDomain: @Sendable (String) -> Bool = { catalog.policies[$0] != nil }
        let address = ClientAddress(peerOf: descriptor)?.bytes ?? []
        let loop = UncheckedBox(self.loop)
        // Weak: a connection that closed (timed out, reset) before the report was stored has no one to answer.
        let connection = WeakConnection(self)
        for upload in uploads {
            let stream = upload.stream
            route.receive(ReportSubmission(upload: upload, clientAddress: address, servesDomain: servesDomain)) { answer in
                loop.value.perform { connection.value?.uploadAnswered(stream: stream, answer: answer) }
            }
        }
    }

    private func uploadAnswered(stream: Int32, answer: PlainAnswer) {
        guard machine.state == .open, let exchange else { return }
        exchange.complete(stream: stream, with: answer, context: exchangeContext(), output: &output,
                          events: &loop.exchangeEvents)
        reportEvents()
        if flushOutput() {
            registration.setReading(true)
            readInput()
        }
    }

    // MARK: data

    /// Reads and answers until the socket is drained, output blocks, or the exchange is finished.
    private func readInput() {
        let buffer = loop.readBuffer
        for _ in 0..<64 {
            guard machine.state == .open, let tls, let exchange, output.isEmpty, !exchange.isFinished,
                  !exchange.isAwaitingAnswer else { return }
            let result = tls.read(into: buffer)
            guard case .done(let count) = result else { return perform(machine.readStopped(result)) }
            exchange.receive(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), context: exchangeContext(),
                             output: &output, events: &loop.exchangeEvents)
            reportEvents()
            guard flushOutput() else { return }
        }
        // A client that keeps the socket full yields the loop to the others, then carries on.
        loop.poller.soon { [weak self] in self?.readInput() }
    }

    /// Writes all pending output; true when the connection carries on reading.
    private func flushOutput() -> Bool {
        guard let tls, let exchange else { return false }
        if outputSent < output.count, machine.shouldHoldLastSegments(exchangeFinished: exchange.isFinished) {
            registration.socket.holdPartialSegments()
        }
        while outputSent < output.count {
            let result = output.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[outputSent...])) }
            switch result {
            case .done(let count):
                outputSent += count
                if outputSent == output.count {
                    // Not kept: an idle keep-alive connection should cost as little memory as possible.
                    output = []
                    outputSent = 0
                    exchange.produce(output: &output, events: &loop.exchangeEvents)
                    reportEvents()
                }
            case .wantWrite, .wantRead:
                perform(machine.writeBlocked(now: MonotonicClock.coarseMilliseconds(), timeouts: loop.timeouts))
                return false
            case .closed, .failed:
                perform(machine.writeFailed())
                return false
            }
        }
        let action = machine.outputFlushed(exchangeFinished: exchange.isFinished, midRequest: exchange.isMidRequest,
                                           now: MonotonicClock.coarseMilliseconds(), timeouts: loop.timeouts)
        if case .continueReading = action { return true }
        perform(action)
        return false
    }

    // MARK: closing

    /// close_notify, then either close at once or half-close and linger (the machine decides, see `closeNotifySent`).
    private func sendCloseNotify() {
        // Looked at before our close_notify goes out, which a quick client answers with its own.
        let quiet = exchange?.endedAfterWholeInput == true && tls?.hasBufferedInput == false
            && !registration.socket.hasPendingInput
        tls?.shutdown()
        perform(machine.closeNotifySent(quiet: quiet, now: MonotonicClock.coarseMilliseconds(), timeouts: loop.timeouts))
    }

    private func discardUntilClosed() {
        let buffer = loop.readBuffer
        while true {
            switch registration.socket.receive(into: buffer) {
            case .done: continue
            case .wouldBlock: return
            case .closed, .failed: return perform(machine.peerClosed())
            }
        }
    }

    /// Whether the client has sent anything yet, without consuming it.
    private func peekFirstBytes() -> ConnectionStateMachine.FirstBytes {
        switch registration.socket.peek() {
        case .done: .arrived
        case .wouldBlock: .notYet
        case .closed, .failed: .peerClosed
        }
    }

    /// The machine has closed: unregister and close the socket, and tell the loop.
    private func closeSocket() {
        registration.cancel()
        loop.connectionClosed(self)
    }
}

/// A connection named from another thread and dereferenced only back on its loop's queue.
private final class WeakConnection: @unchecked Sendable {
    weak var value: Connection?
    init(_ value: Connection) { self.value = value }
}
