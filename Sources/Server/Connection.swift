import Glibc
import HTTP
import Logging
import Reactor
import TLS

/// One client connection on one event loop: TLS handshake, then HTTP/1.1 requests answered in order, then a
/// graceful close. All methods run on the worker's queue.
final class Connection {
    enum State: Equatable { case handshaking, http1, lingering, closed }

    private(set) var state = State.handshaking
    private unowned let worker: Worker
    private let catalog: Catalog
    private let tls: TLSConnection
    private var sources: SocketSources!
    let descriptor: Int32

    /// When the current phase times out (handshake, request head, idle, lingering close).
    private(set) var deadline: Int
    /// Bytes of an incomplete request head, kept only while one is partially received.
    private var pendingInput: [UInt8] = []
    private var scannedInput = 0
    /// Response bytes the socket has not taken yet.
    private var output: [UInt8] = []
    private var outputSent = 0
    private var closeAfterFlush = false
    private var requestsServed = 0

    init(descriptor: Int32, worker: Worker, catalog: Catalog) {
        self.descriptor = descriptor
        self.worker = worker
        self.catalog = catalog
        self.tls = TLSConnection(context: worker.tlsContext, fileDescriptor: descriptor, selection: catalog.selection)
        self.deadline = MonotonicClock.seconds() + worker.configuration.handshakeTimeout
        sources = SocketSources(descriptor: descriptor, queue: worker.queue,
                                onReadable: { [unowned self] in readable() },
                                onWritable: { [unowned self] in writable() })
    }

    // MARK: events

    private func readable() {
        switch state {
        case .handshaking: continueHandshake()
        case .http1: readRequests()
        case .lingering: discardUntilClosed()
        case .closed: break
        }
    }

    private func writable() {
        sources.setWriting(false)
        switch state {
        case .handshaking: continueHandshake()
        case .http1:
            if writeOutput() {
                sources.setReading(true)
                // Requests that arrived meanwhile, or sit decrypted inside OpenSSL, are not signalled again.
                readRequests()
            }
        case .lingering, .closed: break
        }
    }

    /// Called by the worker's once-a-second sweep.
    func timedOut() {
        switch state {
        case .http1 where !pendingInput.isEmpty && output.isEmpty:
            // A head that arrives too slowly (slowloris) gets a 408 and the door.
            HTTP1ResponseWriter.appendError(.requestTimeout, date: worker.date.current(), to: &output)
            closeAfterFlush = true
            pendingInput = []
            _ = writeOutput()
        case .http1:
            beginClose()
        case .handshaking, .lingering, .closed:
            close()
        }
    }

    /// Graceful shutdown: an idle connection closes now; a busy one answers its request with `Connection: close`
    /// (the worker is draining), and a handshake in progress finishes and gets the same treatment.
    func drain() {
        if state == .http1, output.isEmpty, pendingInput.isEmpty { beginClose() }
    }

    // MARK: TLS

    private func continueHandshake() {
        switch tls.handshake() {
        case .done:
            state = .http1
            deadline = MonotonicClock.seconds() + worker.configuration.headerTimeout
            worker.handshakeCompleted(tls)
            // The client's first request often arrives with its Finished message.
            readRequests()
        case .wantRead:
            break
        case .wantWrite:
            sources.setWriting(true)
        case .closed:
            close()
        case .failed(let reason):
            worker.handshakeFailed(reason: reason)
            close()
        }
    }

    // MARK: HTTP/1.1

    /// Reads and answers requests until the socket is drained, output blocks, or the connection closes.
    private func readRequests() {
        let buffer = worker.readBuffer
        for _ in 0..<64 {
            guard state == .http1, output.isEmpty, !closeAfterFlush else { return }
            switch tls.read(into: buffer) {
            case .done(let count):
                consume(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                if !output.isEmpty { _ = writeOutput() }
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
        // A client that keeps the socket full yields the loop to others, then carries on.
        let connection = UncheckedSendable(self)
        worker.queue.async { connection.value.readRequests() }
    }

    /// Parses and answers every complete request in `bytes` (plus what was pending); keeps the incomplete rest.
    private func consume(_ bytes: UnsafeRawBufferPointer) {
        if pendingInput.isEmpty {
            let used = answerRequests(in: bytes, scannedBefore: 0)
            if used < bytes.count, !closeAfterFlush {
                if pendingInput.isEmpty { deadline = MonotonicClock.seconds() + worker.configuration.headerTimeout }
                pendingInput = Array(bytes[used...])
            }
        } else {
            pendingInput.append(contentsOf: bytes)
            let used = pendingInput.withUnsafeBytes { answerRequests(in: $0, scannedBefore: scannedInput) }
            pendingInput.removeFirst(used)
        }
        if pendingInput.isEmpty { scannedInput = 0 }
    }

    /// Returns how many bytes were used; sets `scannedInput` for the incomplete remainder.
    private func answerRequests(in bytes: UnsafeRawBufferPointer, scannedBefore: Int) -> Int {
        var offset = 0
        var scanned = scannedBefore
        while offset < bytes.count, !closeAfterFlush {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch HTTP1RequestParser.parse(rest, scannedBefore: scanned) {
            case .incomplete(let scannedNow):
                scannedInput = scannedNow
                return offset
            case .request(let head, let consumed):
                answer(head)
                offset += consumed
                scanned = 0
            case .invalid(let status):
                HTTP1ResponseWriter.appendError(status, date: worker.date.current(), to: &output)
                worker.requestAnswered(status: status.rawValue, head: nil, host: tls.host)
                closeAfterFlush = true
                return bytes.count
            }
        }
        // Once closing, the rest of the input is ignored.
        return closeAfterFlush ? bytes.count : offset
    }

    private func answer(_ head: HTTPRequestHead) {
        var decision = catalog.responder.decide(head, serverName: tls.sentServerName, defaultHost: catalog.selection.defaultHost)
        requestsServed += 1
        if requestsServed >= worker.configuration.maxRequestsPerConnection || worker.isDraining { decision.close = true }
        HTTP1ResponseWriter.append(decision, version: head.version, date: worker.date.current(), to: &output)
        closeAfterFlush = decision.close
        worker.requestAnswered(status: decision.status, head: head, host: tls.host)
    }

    /// Writes pending output; true when all of it went out and the connection carries on.
    private func writeOutput() -> Bool {
        while outputSent < output.count {
            let result = output.withUnsafeBytes { tls.write(UnsafeRawBufferPointer(rebasing: $0[outputSent...])) }
            switch result {
            case .done(let count):
                outputSent += count
            case .wantWrite, .wantRead:
                // Back-pressure: stop reading until the client takes what it asked for.
                sources.setReading(false)
                sources.setWriting(true)
                return false
            case .closed, .failed:
                close()
                return false
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 4096)
        outputSent = 0
        if closeAfterFlush {
            beginClose()
            return false
        }
        if pendingInput.isEmpty { deadline = MonotonicClock.seconds() + worker.configuration.idleTimeout }
        return true
    }

    // MARK: closing

    /// close_notify, half-close, then read until the client closes too, so our last response is not reset away.
    private func beginClose() {
        guard state == .http1 || state == .handshaking else { return }
        tls.shutdown()
        Glibc.shutdown(descriptor, Int32(SHUT_WR))
        state = .lingering
        deadline = MonotonicClock.seconds() + 2
        pendingInput = []
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

    func close() {
        guard state != .closed else { return }
        state = .closed
        sources.cancel()
        worker.connectionClosed(self)
    }
}

extension PolicyResponder.Decision {
    var status: Int {
        switch answer {
        case .policy(_, let notModified): notModified ? 304 : 200
        case .status(let status): status.rawValue
        }
    }
}
