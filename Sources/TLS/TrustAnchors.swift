internal import COpenSSL

/// The certificates clients are assumed to trust: OpenSSL's default store (SSL_CERT_FILE and SSL_CERT_DIR when
/// set, else the distribution's bundle). Built once per process on first use; X509_STORE locks its own lookups,
/// so every lane shares it.
final class TrustAnchors: @unchecked Sendable {
    static let shared = TrustAnchors(certificateFile: nil)

    private let store: OpaquePointer?

    /// The default store, or only the certificates in `certificateFile` (for tests).
    init(certificateFile: String?) {
        store = X509_STORE_new()
        if let store {
            if let certificateFile {
                _ = X509_STORE_load_file(store, certificateFile)
            } else {
                _ = X509_STORE_set_default_paths(store)
            }
        }
        // A missing bundle or directory leaves errors on the queue; the store is then just smaller.
        ERR_clear_error()
    }

    deinit { X509_STORE_free(store) }

    /// Whether a trust anchor issued `certificate`: names, key identifiers and key usage (X509_check_issued), no
    /// signature verification.
    func issued(_ certificate: OpaquePointer) -> Bool {
        guard let store, let context = X509_STORE_CTX_new() else { return false }
        defer {
            X509_STORE_CTX_free(context)
            ERR_clear_error()
        }
        guard X509_STORE_CTX_init(context, store, certificate, nil) == 1 else { return false }
        var issuer: OpaquePointer?
        guard X509_STORE_CTX_get1_issuer(&issuer, context, certificate) == 1, let issuer else { return false }
        // Only whether there is one matters: the reference we were given goes at once.
        _ = X509Certificate(owning: issuer)
        return true
    }
}
