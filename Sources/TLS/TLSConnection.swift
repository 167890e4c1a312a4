internal import COpenSSL

/// One server-side TLS session over a non-blocking socket. OpenSSL does the socket I/O itself (SSL_set_fd).
public final class TLSConnection {
    private let ssl: OpaquePointer
    /// Held so its callbacks' user data outlives every handshake that may call them.
    private let context: TLSServerContext
    /// Which host this connection is for, in one field: an idle connection keeps only the answer.
    private var name: NameState
    /// The host this connection is for: its SNI, or the default host when the client sent none.
    public var host: String? {
        if case .chosen(let host, _) = name { host } else { nil }
    }
    /// The SNI the client sent (lower-cased); nil when it sent none.
    public var sentServerName: String? {
        if case .chosen(let host, fromSNI: true) = name { host } else { nil }
    }
    /// Whether this handshake answers a TLS-ALPN-01 challenge: it carries no application data and closes.
    public var isChallenge: Bool {
        if case .challenge = name { true } else { false }
    }
    /// Why we refused the handshake ourselves: `unknown_sni` or `missing_sni`.
    public var refusal: String? {
        if case .refused(let refusal, _) = name { refusal.rawValue } else { nil }
    }
    /// The name a handshake refused as `unknown_sni` asked for (lower-cased).
    public var refusedServerName: String? {
        if case .refused(.unknownName, let host) = name { host } else { nil }
    }

    /// Nil when OpenSSL cannot make the SSL object or link it to this connection (out of memory): the caller
    /// closes the socket and counts it.
    public init?(context: TLSServerContext, fileDescriptor: Int32, selection: ServerNameSelection) {
        guard let ssl = SSL_new(context.context) else {
            ERR_clear_error()
            return nil
        }
        self.ssl = ssl
        self.context = context
        self.name = .choosing(selection)
        // Failing from here frees the SSL object in deinit.
        guard SSL_set_fd(ssl, fileDescriptor) == 1,
              SSL_set_ex_data(ssl, Self.linkIndex, Unmanaged.passUnretained(self).toOpaque()) == 1
        else {
            ERR_clear_error()
            return nil
        }
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// The SSL object's ex_data slot that points back at its connection, unretained: the SSL object lives exactly
    /// as long as its connection. Registered once per process; `TLSServerContext` refuses to start without it.
    /// Setting it allocates the SSL object's ex_data stack, a small cost in every connection's memory that nginx
    /// pays too for its own connection index. The socket BIO's callback argument costs nothing but is lost the day
    /// anything sets a BIO callback or replaces the BIO.
    static let linkIndex = shim_SSL_get_ex_new_index()

    /// The connection `ssl` belongs to, for OpenSSL's callbacks; nil only if the link was never made.
    static func linked(to ssl: OpaquePointer) -> TLSConnection? {
        guard let owner = SSL_get_ex_data(ssl, linkIndex) else { return nil }
        return Unmanaged<TLSConnection>.fromOpaque(owner).takeUnretainedValue()
    }

    /// Called from the SNI callback. Returns the alert to refuse the handshake with, or nil to go on.
    func chooseCertificates() -> Int32? {
        let offered = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0) }
        let selection: ServerNameSelection
        switch name {
        case .choosing(let current): selection = current
        case .chosen(let host, let fromSNI):
            // A second ClientHello, after a HelloRetryRequest: its certificates are installed already, and it
            // must name the same host as the first.
            return (fromSNI ? offered?.lowercased() == host : offered == nil) ? nil : TLSAlert.illegalParameter
        case .refused, .challenge: return TLSAlert.internalError
        }
        switch selection.select(serverName: offered) {
        case .use(let pairs, let host):
            for pair in pairs {
                guard SSL_use_cert_and_key(ssl, pair.leaf.pointer, pair.key.pointer, pair.chain.pointer, 1) == 1 else {
                    ERR_clear_error()
                    return TLSAlert.internalError
                }
            }
            name = .chosen(host, fromSNI: offered != nil)
            return nil
        case .unknownName(let host):
            // A name without a certificate yet may be being validated: the ALPN callback then requires acme-tls/1.
            if let challenge = context.challenges?.certificate(forHost: host) {
                guard install(challenge) else { return TLSAlert.internalError }
                name = .challenge
                return nil
            }
            name = .refused(.unknownName, host: host)
            return TLSAlert.unrecognizedName
        case .missingName:
            name = .refused(.missingName, host: nil)
            return TLSAlert.handshakeFailure
        }
    }

    enum ChallengeAnswer { case answer, refuse, notAChallenge }

    /// The ALPN protocol for TLS-ALPN-01 (RFC 8737 §6.2).
    static let challengeProtocol = "acme-tls/1"

    /// Called from the ALPN callback with whether the client offered `acme-tls/1`. A host with a pending challenge
    /// then gets the challenge certificate instead of its own (RFC 8737 §3); a host that had only the challenge
    /// certificate refuses every other protocol.
    func answerChallenge(offered: Bool, challenges: ChallengeCertificates) -> ChallengeAnswer {
        switch name {
        case .challenge:
            return offered ? .answer : .refuse
        case .chosen(let host, fromSNI: true) where offered:
            guard let challenge = challenges.certificate(forHost: host) else { return .notAChallenge }
            SSL_certs_clear(ssl)
            guard install(challenge) else { return .refuse }
            name = .challenge
            return .answer
        default:
            return .notAChallenge
        }
    }

    private func install(_ pair: CertificateKeyPair) -> Bool {
        guard SSL_use_cert_and_key(ssl, pair.leaf.pointer, pair.key.pointer, pair.chain.pointer, 1) == 1 else {
            ERR_clear_error()
            return false
        }
        return true
    }

    public func handshake() -> TLSIOResult {
        clearErrorQueue()
        let result = SSL_do_handshake(ssl)
        guard result == 1 else { return classify(result) }
        return .done(0)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) -> TLSIOResult {
        clearErrorQueue()
        let count = SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
        return count > 0 ? .done(Int(count)) : classify(count)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) -> TLSIOResult {
        guard !bytes.isEmpty else { return .done(0) }
        clearErrorQueue()
        let count = SSL_write(ssl, bytes.baseAddress, Int32(bytes.count))
        return count > 0 ? .done(Int(count)) : classify(count)
    }

    /// Sends close_notify once; the peer's answer is not awaited.
    public func shutdown() {
        clearErrorQueue()
        _ = SSL_shutdown(ssl)
        clearErrorQueue()
    }

    /// Whether OpenSSL holds input it read ahead but has not yet returned.
    public var hasBufferedInput: Bool { SSL_has_pending(ssl) == 1 }

    /// The ALPN protocol agreed on, if any.
    public var alpnProtocol: String? {
        var data: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &data, &length)
        guard let data, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// SSL_get_error needs an empty error queue. ERR_clear_error walks all 16 slots of it, on every call of every
    /// request; the queue is almost always empty already, which ERR_peek_error tells cheaply.
    private func clearErrorQueue() {
        if ERR_peek_error() != 0 { ERR_clear_error() }
    }

    private func classify(_ result: Int32) -> TLSIOResult {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_WANT_READ:
            // Waiting for the peer: the record buffers (about 33 KiB) go back until its next bytes arrive, as
            // SSL_MODE_RELEASE_BUFFERS would do without freeing them around every record. Kept if they hold data.
            _ = SSL_free_buffers(ssl)
            return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN, SSL_ERROR_SYSCALL: clearErrorQueue(); return .closed
        default:
            // Our SNI callback refuses a connection it cannot find; say so rather than OpenSSL's "callback failed".
            if Self.linked(to: ssl) == nil { ERR_clear_error(); return .failed(Self.linkLost) }
            let code = ERR_peek_error()
            let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "TLS error"
            ERR_clear_error()
            return .failed(reason)
        }
    }

    /// The handshake failure reason when the SNI callback could not find this connection (never expected).
    private static let linkLost = "link_lost"

    private enum NameState {
        /// Until the ClientHello: what to choose from. It holds every certificate of its catalog, so it goes once
        /// the choice is made, or a long-lived connection would keep a reloaded-away certificate set in memory.
        case choosing(ServerNameSelection)
        /// `fromSNI`: the client named the host (else it is the default host).
        case chosen(String, fromSNI: Bool)
        /// `host`: the name refused, kept for the log until the connection closes (at once).
        case refused(Refusal, host: String?)
        /// Answering a TLS-ALPN-01 challenge with its certificate.
        case challenge
    }

    private enum Refusal: String {
        case unknownName = "unknown_sni"
        case missingName = "missing_sni"
    }
}
