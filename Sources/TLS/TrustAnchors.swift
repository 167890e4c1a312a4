internal import COpenSSL
import Glibc

/// The certificates clients are assumed to trust: OpenSSL's default certificate directory (or SSL_CERT_DIR), looked
/// up by subject hash as issuers are asked for, plus the file SSL_CERT_FILE names when it is set (a private CA).
/// The distribution's bundle is not parsed whole: that was most of the checks' cost at start-up. Built once per
/// process on first use; X509_STORE locks its own lookups, so every lane shares it.
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
                Self.addDefaultLocations(to: store)
            }
        }
        // A missing bundle or directory leaves errors on the queue; the store is then just smaller.
        ERR_clear_error()
    }

    deinit { X509_STORE_free(store) }

    private static func addDefaultLocations(to store: OpaquePointer) {
        if let directories = getenv(String(cString: X509_get_default_cert_dir_env())).map({ String(cString: $0) })
            ?? Optional(String(cString: X509_get_default_cert_dir())),
           let lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir()) {
            _ = X509_LOOKUP_ctrl(lookup, X509_L_ADD_DIR, directories, Int(X509_FILETYPE_PEM), nil)
        }
        if let file = getenv(String(cString: X509_get_default_cert_file_env())) {
            _ = X509_STORE_load_file(store, file)
        }
    }

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
