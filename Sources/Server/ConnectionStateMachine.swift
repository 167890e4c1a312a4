import TLS

/// How long each phase of a connection may last, in milliseconds. One value per loop, passed to each call.
struct ConnectionTimeouts {
    var handshake: Int
    /// A request head that has begun must be complete within this.
    var header: Int
    /// Between requests, and while the client does not read what it asked for.
    var idle: Int
    /// After our close_notify and half-close, the client has this long to close too.
    var linger = 2000

    init(handshake: Int, header: Int, idle: Int) {
        self.handshake = handshake
        self.header = header
        self.idle = idle
    }

    init(_ configuration: ServerConfiguration) {
        self.init(handshake: configuration.handshakeTimeout * 1000, header: configuration.headerTimeout * 1000,
                  idle: configuration.idleTimeout * 1000)
    }
}

/// The decisions of one connection's life, without I/O: the client's first bytes, the TLS handshake, then requests
/// (HTTP/1.1 or HTTP/2), then a graceful close (close_notify, and either an immediate close or a half-close and a
/// short linger).
///
/// `Connection` is the shell: it reports what happened (a handshake step, a read, a write that blocked or
/// completed, a timeout, a drain) and performs the action returned. The machine owns the state, the deadline of the
/// current phase, back-pressure (output the client has not taken stops reading) and the cork on the last segments.
/// Stored inline in the connection: keep it small (the connection packs into 88 bytes).
struct ConnectionStateMachine {
    enum State: UInt8 {
        /// Accepted, nothing received yet: no TLS state exists, so a silent connection costs only its socket and
        /// the `Connection` object.
        case awaitingFirstBytes
        case handshaking, open, lingering, closed
    }

    /// What a look at the socket (without reading) found while awaiting the first bytes.
    enum FirstBytes: Equatable { case arrived, notYet, peerClosed }

    /// What the shell does next.
    enum Action: Equatable {
        case none
        /// Look whether the client has sent anything, without reading it, then report `firstBytesChecked`.
        case checkFirstBytes
        /// The first bytes are here: set up TLS (the SSL object) and drive the handshake; report `tlsSetupFailed`
        /// if it cannot be set up.
        case beginHandshake
        /// Drive the TLS handshake (again).
        case continueHandshake
        /// The handshake completed: count it, start the exchange (by ALPN), send what it says first, then read.
        case startExchange
        /// Count a failed handshake for this reason, then close.
        case failHandshake(String)
        /// Read and answer input.
        case read
        /// OpenSSL needs to write before it can go on: wait for a writable socket.
        case awaitWritable
        /// Back-pressure: output is pending, so stop reading and wait for a writable socket.
        case stopReadingUntilWritable
        /// The socket is writable again: flush what is pending, and if it all went, read again.
        case flushThenResumeReading
        /// All output was taken: go on reading.
        case continueReading
        /// The exchange is finished and its output taken: send close_notify, then report `closeNotifySent`.
        case sendCloseNotify
        /// Half-close, then read and discard until the client closes too.
        case linger
        /// Read and discard (lingering).
        case discard
        /// Let the exchange append its last words (408, GOAWAY), then flush.
        case timeOutExchange
        /// Let the exchange finish what is in flight and accept nothing new, then flush.
        case drainExchange
        /// Close the socket now.
        case close
    }

    private(set) var deadline: Int
    private(set) var state = State.awaitingFirstBytes
    /// A request was partly received when the output was last flushed (its head timeout is already running).
    private var wasMidRequest = false
    /// Output is waiting for the socket to take it.
    private(set) var isWriteBlocked = false
    /// Set once the last output is on its way (TCP_CORK).
    private(set) var holdsLastSegments = false

    /// The handshake timeout runs from the accept: waiting for the first bytes is part of it.
    init(now: Int, timeouts: ConnectionTimeouts) {
        deadline = now + timeouts.handshake
    }

    // MARK: socket events

    /// The socket is readable, or was just accepted (TCP_DEFER_ACCEPT: the ClientHello is usually there already,
    /// and looking at once saves a trip through the poller).
    func readable() -> Action {
        switch state {
        case .awaitingFirstBytes: .checkFirstBytes
        case .handshaking: .continueHandshake
        case .open: .read
        case .lingering: .discard
        case .closed: .none
        }
    }

    /// The socket is writable (the shell stops asking for writable events first).
    mutating func writable() -> Action {
        switch state {
        case .handshaking: return .continueHandshake
        case .open:
            isWriteBlocked = false
            return .flushThenResumeReading
        case .awaitingFirstBytes, .lingering, .closed: return .none
        }
    }

    // MARK: first bytes

    /// What `checkFirstBytes` found. Readiness without bytes (a spurious wake-up) goes on waiting; a peer that closes
    /// or resets before sending anything is closed without TLS ever being set up, and not counted as a handshake.
    mutating func firstBytesChecked(_ found: FirstBytes) -> Action {
        guard state == .awaitingFirstBytes else { return .none }
        switch found {
        case .arrived:
            state = .handshaking
            return .beginHandshake
        case .notYet: return .none
        case .peerClosed: return close()
        }
    }

    /// OpenSSL could not set up this connection (out of memory): counted, then closed; the others go on.
    mutating func tlsSetupFailed() -> Action {
        guard state == .handshaking else { return .none }
        _ = close()
        return .failHandshake("tls_setup")
    }

    // MARK: TLS

    /// One step of the handshake finished with `result`; `refusal` is why the SNI selection refused the client.
    /// `answeredChallenge`: the handshake was a TLS-ALPN-01 validation, which ends there with no application data
    /// (RFC 8737 §3).
    mutating func handshakeStepped(_ result: TLSIOResult, refusal: String?, answeredChallenge: Bool = false, now: Int,
                                   timeouts: ConnectionTimeouts) -> Action {
        guard state == .handshaking else { return .none }
        switch result {
        case .done:
            state = .open
            deadline = now + timeouts.header
            return answeredChallenge ? .sendCloseNotify : .startExchange
        case .wantRead: return .none
        case .wantWrite: return .awaitWritable
        case .closed: return close()
        case .failed(let reason):
            _ = close()
            return .failHandshake(refusal ?? reason)
        }
    }

    /// A read of decrypted input ended with `result` (`.done` is handed to the exchange, not here).
    mutating func readStopped(_ result: TLSIOResult) -> Action {
        switch result {
        case .done, .wantRead: .none
        case .wantWrite: .awaitWritable
        case .closed, .failed: close()
        }
    }

    // MARK: output

    /// Output is about to be written; true when it should be corked first: the exchange is finished, so the close
    /// (or half-close) that follows at once sends what the cork holds, and the last response leaves in full segments.
    mutating func shouldHoldLastSegments(exchangeFinished: Bool) -> Bool {
        guard exchangeFinished, !holdsLastSegments else { return false }
        holdsLastSegments = true
        return true
    }

    /// The socket did not take all the output.
    mutating func writeBlocked(now: Int, timeouts: ConnectionTimeouts) -> Action {
        guard state == .open else { return .none }
        isWriteBlocked = true
        // The client has this long to read what it asked for.
        deadline = now + timeouts.idle
        return .stopReadingUntilWritable
    }

    /// A write failed or found the connection closed.
    mutating func writeFailed() -> Action { close() }

    /// All pending output was written. `midRequest`: a request is partly received.
    mutating func outputFlushed(exchangeFinished: Bool, midRequest: Bool, now: Int, timeouts: ConnectionTimeouts) -> Action {
        guard state == .open else { return .none }
        if exchangeFinished { return .sendCloseNotify }
        if midRequest, !wasMidRequest {
            deadline = now + timeouts.header
        } else if !midRequest {
            deadline = now + timeouts.idle
        }
        wasMidRequest = midRequest
        return .continueReading
    }

    // MARK: closing

    /// close_notify went out. `quiet`: the last request was read whole, nothing followed it and nothing waits in
    /// the socket or OpenSSL, so closing at once cannot reset the last response away (and saves a wake-up per
    /// connection for senders, which send one request and close). Otherwise half-close and linger.
    mutating func closeNotifySent(quiet: Bool, now: Int, timeouts: ConnectionTimeouts) -> Action {
        guard state == .open else { return close() }
        if quiet { return close() }
        state = .lingering
        deadline = now + timeouts.linger
        return .linger
    }

    /// The peer closed or failed while we linger or read.
    mutating func peerClosed() -> Action { close() }

    /// `deadline` has passed (the loop's sweep).
    mutating func timedOut() -> Action {
        switch state {
        case .awaitingFirstBytes, .handshaking:
            _ = close()
            return .failHandshake("timeout")
        case .open where isWriteBlocked:
            // The client stopped reading.
            return close()
        case .open:
            return .timeOutExchange
        case .lingering, .closed:
            return close()
        }
    }

    /// Graceful shutdown: idle connections close, busy ones finish their requests first.
    func drain() -> Action {
        guard state == .open, !isWriteBlocked else { return .none }
        return .drainExchange
    }

    /// Closes (once): `.close` the first time, `.none` after.
    mutating func close() -> Action {
        guard state != .closed else { return .none }
        state = .closed
        return .close
    }
}
