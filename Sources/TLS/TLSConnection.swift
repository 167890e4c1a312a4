import COpenSSL

/// One server-side TLS session over a non-blocking socket. OpenSSL does the socket I/O itself (SSL_set_fd).
public final class TLSConnection {
    private let ssl: OpaquePointer
    /// Held so its callbacks' user data outlives every handshake that may call them.
    private let context: TLSServerContext
    /// Dropped once the handshake is done: it holds every certificate of its catalog, and a long-lived connection
    /// would otherwise keep a reloaded-away certificate set in memory.
    private var selection: ServerNameSelection?
    /// The host this connection is for: its SNI, or the default host when the client sent none.
    public private(set) var host: String?
    /// Whether `host` came from the client's SNI (else it is the default host, or nil).
    public private(set) var hostIsFromSNI = false
    /// The SNI the client sent (lower-cased); nil when it sent none.
    public var sentServerName: String? { hostIsFromSNI ? host : nil }
    /// Why we refused the handshake ourselves: `unknown_sni` or `missing_sni`.
    public private(set) var refusal: String?

    public init(context: TLSServerContext, fileDescriptor: Int32, selection: ServerNameSelection) {
        self.ssl = SSL_new(context.context)!
        self.context = context
        self.selection = selection
        SSL_set_fd(ssl, fileDescriptor)
        SSL_set_accept_state(ssl)
        // Unretained: the SSL object lives exactly as long as this connection.
        _ = shim_SSL_set_app_data(ssl, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { SSL_free(ssl) }

    /// Called from the SNI callback. Returns the alert to refuse the handshake with, or nil to go on.
    func chooseCertificates() -> Int32? {
        guard let selection else { return Alert.internalError }
        let offered = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name).map { String(cString: $0).lowercased() }
        switch selection.select(serverName: offered) {
        case .use(let pairs, let host):
            for pair in pairs {
                guard SSL_use_cert_and_key(ssl, pair.leaf, pair.key, pair.chain, 1) == 1 else {
                    ERR_clear_error()
                    return Alert.internalError
                }
            }
            self.host = host
            hostIsFromSNI = offered != nil
            return nil
        case .unknownName:
            refusal = "unknown_sni"
            return Alert.unrecognizedName
        case .missingName:
            refusal = "missing_sni"
            return Alert.handshakeFailure
        }
    }

    public func handshake() -> TLSIOResult {
        clearErrorQueue()
        let result = SSL_do_handshake(ssl)
        guard result == 1 else { return classify(result) }
        selection = nil
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

    /// SSL_get_error needs an empty error queue. ERR_clear_error walks all 16 slots of it (2.6 % of the CPU per
    /// keep-alive request); the queue is almost always empty already, which ERR_peek_error tells cheaply.
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
            let code = ERR_peek_error()
            let reason = ERR_reason_error_string(code).map { String(cString: $0) } ?? "TLS error"
            ERR_clear_error()
            return .failed(reason)
        }
    }

    private enum Alert {
        static let handshakeFailure: Int32 = 40
        static let internalError: Int32 = 80
        static let unrecognizedName: Int32 = 112
    }
}
