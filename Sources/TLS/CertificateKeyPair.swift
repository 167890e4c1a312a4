import COpenSSL
import Glibc

/// A certificate chain and its private key, parsed once at load time and shared by every connection that uses it.
public final class CertificateKeyPair: @unchecked Sendable {
    public enum KeyType: String, Sendable { case rsa = "RSA", ecdsa = "ECDSA", other }

    public let certificatePath: String
    public let keyPath: String
    /// DNS names from the subjectAltName extension, lower-cased; wildcards kept as `*.parent`.
    public let dnsNames: [String]
    public let keyType: KeyType
    /// Expiry as seconds since the epoch.
    public let notAfter: Int
    /// The certificate and key files as they were when read (for incremental reloads).
    public let signature: [FileSignature?]

    // Immutable after init; OpenSSL reference counts make sharing across threads safe.
    let leaf: OpaquePointer
    let chain: OpaquePointer
    let key: OpaquePointer

    /// Loads a PEM chain (leaf first) and a PEM private key; fails when they do not match.
    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        // Taken before reading, so a write racing with the read shows up as a change next time.
        self.signature = [FileSignature(path: certificatePath), FileSignature(path: keyPath)]
        ERR_clear_error()
        let certificates = try Self.readCertificates(certificatePath)
        guard let leaf = certificates.first else {
            throw TLSError("no certificate in \(certificatePath)", reasons: [])
        }
        let chain = shim_sk_X509_new_null()!
        for extra in certificates.dropFirst() { _ = shim_sk_X509_push(chain, extra) }
        guard let key = Self.readKey(keyPath) else {
            X509_free(leaf); shim_sk_X509_pop_free(chain)
            throw TLSError.drain("cannot read a private key from \(keyPath)")
        }
        guard X509_check_private_key(leaf, key) == 1 else {
            X509_free(leaf); shim_sk_X509_pop_free(chain); EVP_PKEY_free(key)
            ERR_clear_error()
            throw TLSError("private key \(keyPath) does not match certificate \(certificatePath)", reasons: [])
        }
        self.leaf = leaf
        self.chain = chain
        self.key = key
        self.dnsNames = Self.dnsNames(of: leaf)
        self.notAfter = Self.expiry(of: leaf)
        switch EVP_PKEY_get_base_id(key) {
        case EVP_PKEY_RSA, EVP_PKEY_RSA_PSS: keyType = .rsa
        case EVP_PKEY_EC: keyType = .ecdsa
        default: keyType = .other
        }
    }

    static func signature(of candidate: CertificateDirectory.Candidate) -> [FileSignature?] {
        [FileSignature(path: candidate.certificatePath), FileSignature(path: candidate.keyPath)]
    }

    deinit {
        X509_free(leaf)
        shim_sk_X509_pop_free(chain)
        EVP_PKEY_free(key)
    }

    private static func readCertificates(_ path: String) throws -> [OpaquePointer] {
        guard let bio = BIO_new_file(path, "r") else { throw TLSError.drain("cannot open \(path)") }
        defer { BIO_free(bio) }
        var certificates: [OpaquePointer] = []
        while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) { certificates.append(certificate) }
        // The loop ends on "no start line" once the file is exhausted; that is not an error.
        ERR_clear_error()
        return certificates
    }

    private static func readKey(_ path: String) -> OpaquePointer? {
        guard let bio = BIO_new_file(path, "r") else { return nil }
        defer { BIO_free(bio) }
        return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
    }

    private static func dnsNames(of certificate: OpaquePointer) -> [String] {
        var names: [String] = []
        withUnsafeMutablePointer(to: &names) { namesPointer in
            shim_X509_visit_dns_names(certificate, namesPointer) { context, bytes, length in
                guard let context, let bytes, length > 0 else { return }
                let name = String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
                context.assumingMemoryBound(to: [String].self).pointee.append(name.lowercased())
            }
        }
        return names
    }

    private static func expiry(of certificate: OpaquePointer) -> Int {
        var parts = tm()
        guard ASN1_TIME_to_tm(X509_get0_notAfter(certificate), &parts) == 1 else { return 0 }
        return Int(timegm(&parts))
    }
}
