import Catalog
import Glibc
import HTTP
import Reactor
import TLS

/// One client connection on one event loop: TLS handshake, then HTTP/1.1 or HTTP/2 (by ALPN), then a graceful
/// close. It moves bytes between the socket (through OpenSSL) and the protocol exchange; all methods run on the
/// worker's queue.
final class Connection: SocketEventHandler {
    enum State: Equatable { case handshaking, open, lingering, closed }

    // Stored properties are ordered so that the object packs into 88 bytes (a 96-byte heap block): 2,000 idle
    // connections are 2,000 of them.
    /// The worker owns its connections and closes them all before it goes.
    private unowned(unsafe) let worker: Worker
    private let tls: TLSConnection
    private var exchange: ProtocolExchange?
    private var sources: SocketSources
    private(set) var state = State.handshaking
    private var wasMidRequest = false
    /// Set once the last output is on its way (TCP_CORK).
    private var holdsLastSegments = false
    /// When the current phase times out (handshake, request head, idle, stalled write, lingering close), in
    /// coarse monotonic milliseconds.
    private(set) var deadline = 0
    /// Response bytes the socket has not taken yet.
    private var output: [UInt8] = []
    private var outputSent = 0

    var descriptor: Int32 { sources.descriptor }

    /// Nil when OpenSSL cannot set up the connection (out of memory); the socket is then the caller's to close.
    init?(descriptor: Int32, worker: Worker, catalog: Catalog) {
        self.worker = worker
        guard let tls = TLSConnection(context: worker.tlsContext, fileDescriptor: descriptor,
                                      selection: catalog.selection) else { return nil }
        self.tls = tls
        sources = SocketSources(descriptor: descriptor, poller: worker.poller)
        expire(in: worker.configuration.handshakeTimeout)
        sources.register(handler: self)
    }

    // MARK: events

    /// The ClientHello is usually there already (TCP_DEFER_ACCEPT): answering it now saves a trip through the poller.
    func start() {
        continueHandshake()
    }

    func socketReadable() {
        switch state {
        case .handshaking: continueHandshake()
        case .open: readInput()
        case .lingering: discardUntilClosed()
        case .closed: break
        }
    }

    func socketWritable() {
        sources.setWriting(false)
        switch state {
        case .handshaking: continueHandshake()
        case .open:
            if flushOutput() {
                sources.setReading(true)
                // Input that arrived meanwhile, or sits decrypted inside OpenSSL, is not signalled again.
                readInput()
            }
        case .lingering, .closed: break
        }
    }

    private func expire(in seconds: Int) {
        deadline = MonotonicClock.coarseMilliseconds() + seconds * 1000
    }

    /// Called by the worker's sweep (four times a second) once `deadline` has passed.
    func timedOut() {
        switch state {
        case .open where outputSent < output.count:
            close()  // the client stopped reading
        case .open:
            guard let exchange else { return close() }
            exchange.timedOut(output: &output)
            _ = flushOutput()
        case .handshaking:
            worker.handshakeFailed(reason: "timeout")
            close()
        case .lingering, .closed:
            close()
        }
    }

    /// Graceful shutdown: idle connections close, busy ones finish their requests first.
    func drain() {
        guard state == .open, let exchange, outputSent == output.count else { return }
        exchange.drain(output: &output)
        _ = flushOutput()
    }

    // MARK: TLS

    private func continueHandshake() {
        switch tls.handshake() {
        case .done:
            state = .open
            exchange = makeExchange()
            expire(in: worker.configuration.headerTimeout)
            worker.handshakeCompleted(tls)
            // HTTP/2 speaks first (SETTINGS); an HTTP/1.1 request often arrived with the client's Finished.
            exchange?.produce(output: &output)
            if flushOutput() { readInput() }
        case .wantRead:
            break
        case .wantWrite:
            sources.setWriting(true)
        case .closed:
            close()
        case .failed(let reason):
            worker.handshakeFailed(reason: tls.refusal ?? reason)
            close()
        }
    }

    private func makeExchange() -> ProtocolExchange {
        if tls.alpnProtocol == "h2" {
            var settings = worker.configuration.http2
            settings.maxStreamsPerConnection = worker.configuration.maxRequestsPerConnection
            return HTTP2Exchange(context: self, settings: settings)
        }
        return HTTP1Exchange(context: self)
    }

    // MARK: data

    /// Reads and answers until the socket is drained, output blocks, or the exchange is finished.
    private func readInput() {
        let buffer = worker.readBuffer
        for _ in 0..<64 {
            guard state == .open, let exchange, output.isEmpty, !exchange.isFinished else { return }
            switch tls.read(into: buffer) {
            case .done(let count):
                exchange.receive(UnsafeRawBufferPointer(rebasing: buffer[0..<count]), output: &output)
                guard flushOutput() else { return }
            case .wantRead:
                return
            case .wantWrite:
                sources.setWriting(true)
                return
            case .closed, .failed:
                close()
                return
            }
        }
        // A client that keeps the socket full yields the loop to the others, then carries on.
        worker.poller.soon { [weak self] in self?.readInput() }
    }

    /// Writes all pending output; true when the connection carries on reading.
    private func flushOutput() -> Bool {
        guard let exchange else { return false }
        if exchange.isFinished, !holdsLastSegments, outputSent < output.count {
            // The close follows at once (or a half-close): it sends what the cork holds.
            holdsLastSegments = true
            SocketOption.holdPartialSegments(descriptor)
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
                    exchange.produce(output: &output)
                }
            case .wantWrite, .wantRead:
                // Back-pressure: read nothing more until the client takes what it asked for.
                sources.setReading(false)
                sources.setWriting(true)
                expire(in: worker.configuration.idleTimeout)
                return false
            case .closed, .failed:
                close()
                return false
            }
        }
        if exchange.isFinished {
            beginClose()
            return false
        }
        updateDeadline(exchange)
        return true
    }

    private func updateDeadline(_ exchange: ProtocolExchange) {
        let midRequest = exchange.isMidRequest
        if midRequest, !wasMidRequest {
            expire(in: worker.configuration.headerTimeout)
        } else if !midRequest {
            expire(in: worker.configuration.idleTimeout)
        }
        wasMidRequest = midRequest
    }

    // MARK: closing

    /// close_notify, then either close at once (the request was read whole and nothing followed it) or half-close
    /// and read until the client closes too, so that input arriving after close() cannot reset the last response
    /// away. Closing at once saves a wake-up per connection for senders, which send one request and close.
    private func beginClose() {
        guard state == .open else { return close() }
        // Looked at before our close_notify goes out, which a quick client answers with its own.
        let closesAtOnce = exchange?.endedAfterWholeInput == true && !tls.hasBufferedInput && !socketHasInput()
        tls.shutdown()
        if closesAtOnce { return close() }
        Glibc.shutdown(descriptor, Int32(SHUT_WR))
        state = .lingering
        expire(in: 2)
        sources.setReading(true)
        discardUntilClosed()
    }

    private func discardUntilClosed() {
        let buffer = worker.readBuffer
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { continue }
            if count < 0, errno == EAGAIN || errno == EINTR { return }
            close()
            return
        }
    }

    /// Whether unread bytes wait in the socket (closing it now would send a reset), without consuming them.
    private func socketHasInput() -> Bool {
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    func close() {
        guard state != .closed else { return }
        state = .closed
        sources.cancel()
        worker.connectionClosed(self)
    }
}

extension Connection: ExchangeContext {
    func decide(_ request: HTTPRequestHead) -> PolicyResponder.Decision {
        // The worker's current snapshot, so a reload reaches requests on connections already open.
        let catalog = worker.catalog
        return catalog.responder.decide(request, serverName: tls.sentServerName, defaultHost: catalog.selection.defaultHost)
    }

    func answered(_ status: Int, _ request: HTTPRequestHead?) {
        worker.requestAnswered(status: status, head: request, host: tls.host)
    }

    var date: [UInt8] { worker.date.current() }
    var isDraining: Bool { worker.isDraining }
    var maxRequests: Int { worker.configuration.maxRequestsPerConnection }
}

extension PolicyResponder.Decision {
    var status: Int {
        switch answer {
        case .policy(_, let notModified): notModified ? 304 : 200
        case .status(let status): status.rawValue
        }
    }
}
