internal import COpenSSL

/// The TLS alerts (RFC 8446 §6) the server ends a handshake with, by name.
enum TLSAlert {
    /// No certificate for a client that named no host (and there is no default host).
    static let handshakeFailure = Int32(SSL_AD_HANDSHAKE_FAILURE)
    /// A second ClientHello (after a HelloRetryRequest) naming another host than the first.
    static let illegalParameter = Int32(SSL_AD_ILLEGAL_PARAMETER)
    /// Our own failure: a certificate that cannot be installed, a connection that cannot be found.
    static let internalError = Int32(SSL_AD_INTERNAL_ERROR)
    /// No certificate for the host the client named (RFC 6066 §3).
    static let unrecognizedName = Int32(SSL_AD_UNRECOGNIZED_NAME)
}
