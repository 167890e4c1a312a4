internal import COpenSSL

/// The one SSL_CTX every connection starts from: protocol versions, ciphers, ALPN and the SNI callback.
/// Certificates are not in it: the SNI callback installs the chosen pair on each connection, so 50,000 hosts
/// cost 50,000 parsed certificates rather than 50,000 SSL_CTXs.
public final class TLSServerContext: @unchecked Sendable {
    let context: OpaquePointer
    /// ALPN protocols in wire format (length-prefixed). OpenSSL's selection points into it, so it never moves.
    let alpnWire: UnsafeMutableBufferPointer<UInt8>
    /// TLS-ALPN-01 certificates to answer with; nil when no ACME issuer runs.
    let challenges: ChallengeCertificates?
    /// `acme-tls/1` in wire format, for the same reason as `alpnWire`.
    let challengeWire: UnsafeMutableBufferPointer<UInt8>

    public init(settings: TLSSettings, challenges: ChallengeCertificates? = nil) throws {
        // Connections cannot be found from their SSL objects without it (see `TLSConnection.linkIndex`).
        guard TLSConnection.linkIndex >= 0 else { throw TLSError.drain("SSL_get_ex_new_index") }
        guard let context = SSL_CTX_new(TLS_server_method()) else { throw TLSError.drain("SSL_CTX_new") }
        self.context = context
        let wire = settings.alpnProtocols.flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) }
        self.alpnWire = .allocate(capacity: wire.count)
        _ = alpnWire.initialize(from: wire)
        self.challenges = challenges
        let challengeWire = [UInt8(TLSConnection.challengeProtocol.utf8.count)] + Array(TLSConnection.challengeProtocol.utf8)
        self.challengeWire = .allocate(capacity: challengeWire.count)
        _ = self.challengeWire.initialize(from: challengeWire)

        guard shim_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1,
              shim_SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1,
              SSL_CTX_set_cipher_list(context, settings.tls12Ciphers) == 1,
              SSL_CTX_set_ciphersuites(context, settings.tls13Ciphersuites) == 1,
              shim_SSL_CTX_set1_groups_list(context, settings.groups) == 1
        else { throw TLSError.drain("configuring TLS") }

        var options = shim_SSL_OP_CIPHER_SERVER_PREFERENCE | shim_SSL_OP_NO_COMPRESSION
            | shim_SSL_OP_NO_RENEGOTIATION
        if settings.sessionTickets == 0 { options |= shim_SSL_OP_NO_TICKET }
        SSL_CTX_set_options(context, options)
        _ = SSL_CTX_set_num_tickets(context, Int(settings.sessionTickets))
        // No server-side session cache: resumption, when enabled, is by stateless tickets only.
        _ = shim_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_OFF))
        // Writes may be retried from another address. No SSL_MODE_RELEASE_BUFFERS: it frees and reallocates the
        // 16 KiB record buffers around every record, several times per connection; a connection waiting for its
        // peer releases them instead (TLSConnection.classify).
        _ = shim_SSL_CTX_set_mode(context, Int(SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER))
        // Read whole socket buffers, not record header then body: one recv per request instead of two.
        shim_SSL_CTX_set_read_ahead(context, 1)

        _ = shim_SSL_CTX_set_servername_callback(context, serverNameCallback)
        SSL_CTX_set_alpn_select_cb(context, alpnSelectCallback, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        SSL_CTX_free(context)
        alpnWire.deallocate()
        challengeWire.deallocate()
    }
}

/// Recovers the TLSConnection from the SSL object and lets it choose its certificates.
private func serverNameCallback(_ ssl: OpaquePointer?, _ alert: UnsafeMutablePointer<Int32>?,
                                _ argument: UnsafeMutableRawPointer?) -> Int32 {
    // Never silent: the handshake fails, and `TLSConnection` reports it as `link_lost`.
    guard let ssl, let connection = TLSConnection.linked(to: ssl) else {
        alert?.pointee = TLSAlert.internalError
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    if let refusal = connection.chooseCertificates() {
        alert?.pointee = refusal
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }
    return SSL_TLSEXT_ERR_OK
}

/// Picks our most preferred protocol the client also offers; none in common means HTTP/1.1 without ALPN.
/// `acme-tls/1` first, and only for a host with a pending TLS-ALPN-01 challenge (`TLSConnection.answerChallenge`).
private func alpnSelectCallback(_ ssl: OpaquePointer?,
                                _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
                                _ outLength: UnsafeMutablePointer<UInt8>?,
                                _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32,
                                _ argument: UnsafeMutableRawPointer?) -> Int32 {
    guard let argument, let out, let outLength, let offered else { return SSL_TLSEXT_ERR_NOACK }
    let context = Unmanaged<TLSServerContext>.fromOpaque(argument).takeUnretainedValue()
    if let challenges = context.challenges, !challenges.isEmpty, let ssl, let connection = TLSConnection.linked(to: ssl) {
        let offersChallenge = out.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 1) { selected in
            SSL_select_next_proto(selected, outLength, context.challengeWire.baseAddress,
                                  UInt32(context.challengeWire.count), offered, offeredLength) == OPENSSL_NPN_NEGOTIATED
        }
        switch connection.answerChallenge(offered: offersChallenge, challenges: challenges) {
        case .answer: return SSL_TLSEXT_ERR_OK
        case .refuse: return SSL_TLSEXT_ERR_ALERT_FATAL
        case .notAChallenge: break
        }
    }
    let ours = context.alpnWire
    return out.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 1) { selected in
        let result = SSL_select_next_proto(selected, outLength, ours.baseAddress, UInt32(ours.count),
                                           offered, offeredLength)
        return result == OPENSSL_NPN_NEGOTIATED ? SSL_TLSEXT_ERR_OK : SSL_TLSEXT_ERR_NOACK
    }
}
