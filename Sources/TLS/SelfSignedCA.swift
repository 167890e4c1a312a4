internal import COpenSSL

/// The local certificate authority of `serve --self-signed`: its certificate and private key, owned here.
public final class SelfSignedCA: @unchecked Sendable {
    /// The CA certificate (PEM), for `curl --cacert` or a trust store.
    public let certificatePath: String
    public let keyPath: String

    // Immutable after init; OpenSSL only reads them when signing or verifying.
    let certificate: X509Certificate
    let key: PrivateKey

    init(certificatePath: String, keyPath: String, certificate: X509Certificate, key: PrivateKey) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.certificate = certificate
        self.key = key
    }

    /// Whether this CA signed the pair's leaf: false once the CA was recreated, so stale leaves get reissued.
    public func issued(_ pair: CertificateKeyPair) -> Bool {
        defer { ERR_clear_error() }
        return X509_check_issued(certificate.pointer, pair.leaf.pointer) == X509_V_OK
            && X509_verify(pair.leaf.pointer, key.pointer) == 1
    }
}
