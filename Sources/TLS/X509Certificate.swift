internal import COpenSSL

/// One reference to an OpenSSL certificate (X509), released in `deinit`. Sharing a certificate shares this
/// object: OpenSSL's own reference count is raised only where OpenSSL keeps a pointer of its own (a chain's
/// stack, an SSL object). Immutable once made; OpenSSL locks its lazily computed fields, so threads may share it.
final class X509Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Takes over one reference the caller owns.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Parses the first PEM certificate in `pem`; nil (with OpenSSL's reasons on its error queue) when none reads.
    convenience init?(pem: some StringProtocol) {
        var text = Array(pem.utf8)
        let parsed = text.withUnsafeMutableBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_X509(bio, nil, nil, nil)
        }
        guard let parsed else { return nil }
        self.init(owning: parsed)
    }

    deinit { X509_free(pointer) }
}
