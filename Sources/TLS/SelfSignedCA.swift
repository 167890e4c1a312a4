import COpenSSL

/// The local certificate authority of `serve --self-signed`: its certificate and private key, owned here.
public final class SelfSignedCA: @unchecked Sendable {
    /// The CA certificate (PEM), for `curl --cacert` or a trust store.
    public let certificatePath: String
    public let keyPath: String

    // Immutable after init; OpenSSL only reads them when signing or verifying.
    let certificate: OpaquePointer
    let key: OpaquePointer

    /// Takes ownership of both references.
    init(certificatePath: String, keyPath: String, certificate: OpaquePointer, key: OpaquePointer) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.certificate = certificate
        self.key = key
    }

    deinit {
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    /// Whether this CA signed the pair's leaf: false once the CA was recreated, so stale leaves get reissued.
    public func issued(_ pair: CertificateKeyPair) -> Bool {
        defer { ERR_clear_error() }
        return X509_check_issued(certificate, pair.leaf) == X509_V_OK && X509_verify(pair.leaf, key) == 1
    }
}
