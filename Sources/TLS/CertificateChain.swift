internal import COpenSSL

/// The certificates a server sends after its leaf, as the OpenSSL stack SSL_use_cert_and_key takes; the stack
/// holds its own reference to each certificate and is freed with them in `deinit`. Immutable once made, so one
/// chain is shared by every pair that carries the same intermediates (OpenSSL copies the stack when it installs it).
final class CertificateChain: @unchecked Sendable {
    let pointer: OpaquePointer

    /// A chain of `certificates` in order; nil when OpenSSL cannot allocate the stack.
    init?(_ certificates: [X509Certificate]) {
        guard let stack = shim_sk_X509_new_null() else { return nil }
        pointer = stack
        for certificate in certificates {
            // The reference the stack owns; pop_free in deinit releases it.
            X509_up_ref(certificate.pointer)
            guard shim_sk_X509_push(stack, certificate.pointer) > 0 else {
                X509_free(certificate.pointer)
                return nil
            }
        }
    }

    deinit { shim_sk_X509_pop_free(pointer) }

    var count: Int { Int(shim_sk_X509_num(pointer)) }

    /// The certificate at `index`, borrowed: valid while this chain lives.
    subscript(index: Int) -> OpaquePointer { shim_sk_X509_value(pointer, Int32(index)) }
}
