internal import COpenSSL

/// One reference to an OpenSSL private key (EVP_PKEY), released in `deinit`. Shared like `X509Certificate`:
/// immutable once made, so threads may share it.
final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes over one reference the caller owns.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit { EVP_PKEY_free(pointer) }

    /// A new EC key on `curve` (e.g. `P-256`).
    static func generateEC(curve: String) throws -> PrivateKey {
        guard let key = shim_EVP_EC_gen(curve) else { throw TLSError.drain("generating an EC \(curve) key") }
        return PrivateKey(owning: key)
    }
}
