internal import COpenSSL
import Glibc
import FileSystem

/// A local CA and the certificates it issues, for trying the server without a public CA (`serve --self-signed`).
/// Keys are EC P-256 and certificates follow RFC 5280 closely enough for OpenSSL's `-x509_strict` checks.
public enum SelfSignedAuthority {
    public static let caCommonName = "mta-sts-host local CA"
    static let caDays = 3650
    /// Certificates start an hour in the past, so a client whose clock is slightly behind still accepts them.
    static let backdateSeconds = -3600

    /// Loads the CA from `directory/ca.pem` + `directory/ca.key`, or creates both (and the directory, mode 0700)
    /// when neither exists. One without the other is an error: never overwrite a key someone may still trust.
    public static func loadOrCreateCA(directory: String) throws -> SelfSignedCA {
        let certificatePath = joinPath(directory, "ca.pem")
        let keyPath = joinPath(directory, "ca.key")
        switch (PEMFile.exists(certificatePath), PEMFile.exists(keyPath)) {
        case (true, true):
            return try loadCA(certificatePath: certificatePath, keyPath: keyPath)
        case (false, false):
            return try createCA(directory: directory, certificatePath: certificatePath, keyPath: keyPath)
        default:
            throw TLSError("\(directory) holds only one of ca.pem and ca.key; restore the other or remove both", reasons: [])
        }
    }

    /// Writes a leaf certificate for `dnsNames` (CN = the first) followed by the CA certificate, and its key
    /// (PKCS#8 PEM, mode 0600). Both files are replaced atomically; the key is written first.
    public static func issue(dnsNames: [String], ca: SelfSignedCA, certificatePath: String, keyPath: String,
                             days: Int = 90) throws {
        guard let first = dnsNames.first else { throw TLSError("issuing a certificate with no DNS names", reasons: []) }
        ERR_clear_error()
        let key = try PrivateKey.generateEC(curve: "P-256")
        // X.509 caps the CN at 64 characters; without a CN the SAN must be critical (RFC 5280 §4.2.1.6).
        let commonName = first.utf8.count <= 64 ? first : nil
        let builder = try CertificateBuilder(commonName: commonName, publicKey: key, issuer: ca.certificate,
                                             validFromOffsetSeconds: backdateSeconds, days: days)
        let names = dnsNames.map { "DNS:\($0)" }.joined(separator: ",")
        try builder.addExtension(NID_subject_alt_name, commonName == nil ? "critical," + names : names)
        try builder.addExtension(NID_basic_constraints, "critical,CA:FALSE")
        try builder.addExtension(NID_key_usage, "critical,digitalSignature")
        try builder.addExtension(NID_ext_key_usage, "serverAuth")
        try builder.addExtension(NID_authority_key_identifier, "keyid:always")
        let certificate = try builder.sign(with: ca.key)

        try PEMFile.write(keyPath, mode: 0o600) { PEM_write_bio_PKCS8PrivateKey($0, key.pointer, nil, nil, 0, nil, nil) }
        try PEMFile.write(certificatePath, mode: 0o644) { bio in
            PEM_write_bio_X509(bio, certificate.pointer) == 1 ? PEM_write_bio_X509(bio, ca.certificate.pointer) : 0
        }
    }

    private static func loadCA(certificatePath: String, keyPath: String) throws -> SelfSignedCA {
        ERR_clear_error()
        let certificate = try PEMFile.readCertificate(certificatePath)
        let key = try PEMFile.readKey(keyPath)
        let ca = SelfSignedCA(certificatePath: certificatePath, keyPath: keyPath, certificate: certificate, key: key)
        guard X509_check_private_key(certificate.pointer, key.pointer) == 1 else {
            ERR_clear_error()
            throw TLSError("CA key \(keyPath) does not match \(certificatePath)", reasons: [])
        }
        return ca
    }

    private static func createCA(directory: String, certificatePath: String, keyPath: String) throws -> SelfSignedCA {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw TLSError("creating \(directory): \(String(cString: strerror(errno)))", reasons: [])
        }
        ERR_clear_error()
        let key = try PrivateKey.generateEC(curve: "P-256")
        let builder = try CertificateBuilder(commonName: caCommonName, publicKey: key, issuer: nil,
                                             validFromOffsetSeconds: backdateSeconds, days: caDays)
        try builder.addExtension(NID_basic_constraints, "critical,CA:TRUE")
        try builder.addExtension(NID_key_usage, "critical,keyCertSign,cRLSign")
        try builder.addExtension(NID_subject_key_identifier, "hash")
        let certificate = try builder.sign(with: key)
        let ca = SelfSignedCA(certificatePath: certificatePath, keyPath: keyPath, certificate: certificate, key: key)
        // Key first: a certificate on disk always has its key next to it.
        try PEMFile.write(keyPath, mode: 0o600) { PEM_write_bio_PKCS8PrivateKey($0, key.pointer, nil, nil, 0, nil, nil) }
        try PEMFile.write(certificatePath, mode: 0o644) { PEM_write_bio_X509($0, certificate.pointer) }
        return ca
    }
}
