internal import COpenSSL
import Glibc

/// A certificate chain and its private key, parsed once at load time and shared by every connection that uses it.
public final class CertificateKeyPair: @unchecked Sendable {
    public enum KeyType: String, Sendable { case rsa = "RSA", ecdsa = "ECDSA", other }

    public let certificatePath: String
    public let keyPath: String
    /// DNS names from the subjectAltName extension, lower-cased; wildcards kept as `*.parent`.
    public let dnsNames: [String]
    public let keyType: KeyType
    /// Start of validity as seconds since the epoch.
    public let notBefore: Int
    /// Expiry as seconds since the epoch.
    public let notAfter: Int
    /// Whether the file carries the chain up to a trust anchor (see `ChainCompleteness`); an incomplete pair is
    /// served, with a warning.
    public let chainIsComplete: Bool
    /// The certificate and key files as they were when read (for incremental reloads).
    public let signature: [FileSignature?]
    /// What the two files held (a changed signature with the same bytes reuses this pair).
    let contentDigest: FileContentDigest

    // Immutable after init and shared, never copied: by the same pair under another signature, and (the chain) by
    // every pair of a load with the same intermediates.
    let leaf: X509Certificate
    let chain: CertificateChain
    let key: PrivateKey

    /// Loads a PEM chain (leaf first) and a PEM private key; fails when they do not match or the certificate is
    /// refused (`CertificateRejection`) at `now`.
    public convenience init(certificatePath: String, keyPath: String, now: Int = Int(Glibc.time(nil))) throws {
        let pair = try CertificateLoader().load(certificatePath: certificatePath, keyPath: keyPath, now: now).pair
        self.init(sharing: pair, signature: pair.signature)
    }

    /// A pair made in memory (an ACME challenge certificate): no files, no chain; `label` stands in for the paths
    /// in logs.
    convenience init(inMemory leaf: X509Certificate, key: PrivateKey, label: String) throws {
        guard let chain = CertificateChain([]) else { throw TLSError.drain("allocating an empty chain") }
        self.init(certificatePath: label, keyPath: label, signature: [],
                  contentDigest: FileContentDigest(certificate: try leaf.der(), key: []), leaf: leaf, chain: chain, key: key,
                  chainIsComplete: false)
    }

    /// The same pair under another file signature: the OpenSSL objects are shared, not copied.
    func withSignature(_ signature: [FileSignature?]) -> CertificateKeyPair {
        CertificateKeyPair(sharing: self, signature: signature)
    }

    private convenience init(sharing pair: CertificateKeyPair, signature: [FileSignature?]) {
        self.init(certificatePath: pair.certificatePath, keyPath: pair.keyPath, signature: signature,
                  contentDigest: pair.contentDigest, leaf: pair.leaf, chain: pair.chain, key: pair.key,
                  chainIsComplete: pair.chainIsComplete)
    }

    init(certificatePath: String, keyPath: String, signature: [FileSignature?], contentDigest: FileContentDigest,
         leaf: X509Certificate, chain: CertificateChain, key: PrivateKey, chainIsComplete: Bool) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.signature = signature
        self.contentDigest = contentDigest
        self.leaf = leaf
        self.chain = chain
        self.key = key
        self.chainIsComplete = chainIsComplete
        self.dnsNames = leaf.dnsNames
        self.notBefore = Self.seconds(X509_get0_notBefore(leaf.pointer))
        self.notAfter = Self.seconds(X509_get0_notAfter(leaf.pointer))
        switch EVP_PKEY_get_base_id(key.pointer) {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS: keyType = .rsa
        case EVP_PKEY_EC: keyType = .ecdsa
        default: keyType = .other
        }
    }

    static func signature(of candidate: CertificateDirectory.Candidate) -> [FileSignature?] {
        [FileSignature(path: candidate.certificatePath), FileSignature(path: candidate.keyPath)]
    }

    /// A certificate time as seconds since the epoch; 0 (long expired, long valid) when OpenSSL cannot read it.
    static func seconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int {
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return 0 }
        return Int(timegm(&parts))
    }
}
