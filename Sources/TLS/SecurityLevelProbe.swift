internal import COpenSSL

/// An SSL_CTX made like the server's (TLS_server_method, the default security level) that each pair is installed
/// on once at load: OpenSSL applies the checks it applies when serving (key sizes, signature digests of the leaf
/// and intermediates), so a pair it would refuse in every handshake is refused at load instead. Installing
/// replaces the previous pair, so one probe serves a whole lane; not thread-safe.
final class SecurityLevelProbe {
    private let context: OpaquePointer?

    init() {
        context = SSL_CTX_new(TLS_server_method())
        ERR_clear_error()
    }

    deinit { SSL_CTX_free(context) }

    var securityLevel: Int { context.map { Int(SSL_CTX_get_security_level($0)) } ?? 0 }

    /// OpenSSL's reasons for refusing the pair (e.g. `ee key too small`), or nil when it accepts it. Without a
    /// context (OpenSSL out of memory) nothing is refused here: the server's own context would fail first.
    func refusal(leaf: X509Certificate, key: PrivateKey, chain: CertificateChain) -> [String]? {
        guard let context else { return nil }
        ERR_clear_error()
        guard SSL_CTX_use_cert_and_key(context, leaf.pointer, key.pointer, chain.pointer, 1) != 1 else { return nil }
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            reasons.append(ERR_reason_error_string(code).map { String(cString: $0) } ?? "error \(code)")
        }
        return reasons.isEmpty ? ["refused"] : reasons
    }
}
