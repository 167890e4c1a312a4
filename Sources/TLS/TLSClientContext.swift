internal import COpenSSL

/// TLS as a sender speaks it to a policy host or an MX (`verify`): TLS 1.2 or later, and a trust store (the
/// system's, or one PEM file for tests). The chain is not enforced during the handshake, so a peer whose chain
/// fails still shows its certificate; `TLSClientSession.peer` gives the verdict with the names and dates.
public final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer

    public init(trustFile: String?) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw TLSError.drain("SSL_CTX_new") }
        self.context = context
        guard shim_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) == 1 else {
            throw TLSError.drain("SSL_CTX_set_min_proto_version")
        }
        if let trustFile {
            guard SSL_CTX_load_verify_locations(context, trustFile, nil) == 1 else {
                throw TLSError.drain("cannot load the trusted certificates in \(trustFile)")
            }
        } else {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw TLSError.drain("SSL_CTX_set_default_verify_paths")
            }
        }
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
    }

    deinit { SSL_CTX_free(context) }
}
