internal import COpenSSL

/// One client-side TLS session over a connected non-blocking socket (SSL_set_fd), with SNI; the caller waits for
/// the socket between calls.
public final class TLSClientSession {
    private let ssl: OpaquePointer
    /// Held for as long as the SSL object refers to it.
    private let context: TLSClientContext

    public init(context: TLSClientContext, fileDescriptor: Int32, serverName: String) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else { throw TLSError.drain("SSL_new") }
        self.ssl = ssl
        self.context = context
        guard SSL_set_fd(ssl, fileDescriptor) == 1,
              serverName.withCString({ shim_SSL_set_tlsext_host_name(ssl, $0) }) == 1
        else { throw TLSError.drain("cannot attach the socket or set the SNI \(serverName)") }
        SSL_set_connect_state(ssl)
    }

    deinit { SSL_free(ssl) }

    public func handshake() -> TLSIOResult {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        guard result == 1 else {
            switch SSL_get_error(ssl, result) {
            case SSL_ERROR_WANT_READ: return .wantRead
            case SSL_ERROR_WANT_WRITE: return .wantWrite
            case SSL_ERROR_ZERO_RETURN, SSL_ERROR_SYSCALL:
                ERR_clear_error()
                return .closed
            default:
                let reason = ERR_reason_error_string(ERR_peek_error()).map { String(cString: $0) } ?? "TLS error"
                ERR_clear_error()
                return .failed(reason)
            }
        }
        return .done(0)
    }

    /// Writes what the connection takes of `bytes` now (best effort: a QUIT before closing).
    public func sendNow(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        ERR_clear_error()
    }

    /// Sends close_notify without waiting for the peer's.
    public func shutdown() {
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// What the handshake showed of the peer; nil before it completed or when the peer sent no certificate.
    public var peer: TLSPeer? {
        guard let leaf = SSL_get1_peer_certificate(ssl) else { return nil }
        let certificate = X509Certificate(owning: leaf)
        let verification = SSL_get_verify_result(ssl)
        return TLSPeer(
            protocolVersion: String(cString: SSL_get_version(ssl)),
            chainProblem: verification == X509_V_OK ? nil : String(cString: X509_verify_cert_error_string(verification)),
            dnsNames: certificate.dnsNames,
            notBefore: CertificateKeyPair.seconds(X509_get0_notBefore(certificate.pointer)),
            notAfter: CertificateKeyPair.seconds(X509_get0_notAfter(certificate.pointer)))
    }
}

/// The peer of a client handshake as a sender judges it.
public struct TLSPeer: Sendable, Equatable {
    /// "TLSv1.2", "TLSv1.3".
    public let protocolVersion: String
    /// Why the chain did not verify against the trust store (OpenSSL's text: "certificate has expired",
    /// "unable to get local issuer certificate"); nil when it verified. The host name is not part of it.
    public let chainProblem: String?
    /// The leaf's subjectAltName DNS names, lower-cased.
    public let dnsNames: [String]
    /// The leaf's validity period, in seconds since the epoch.
    public let notBefore: Int
    public let notAfter: Int

    public init(protocolVersion: String, chainProblem: String?, dnsNames: [String], notBefore: Int, notAfter: Int) {
        self.protocolVersion = protocolVersion
        self.chainProblem = chainProblem
        self.dnsNames = dnsNames
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}
