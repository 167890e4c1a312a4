internal import COpenSSL

/// The certificate that answers an ACME TLS-ALPN-01 challenge (RFC 8737 §3): self-signed, a fresh P-256 key,
/// subjectAltName exactly the name being validated, and a critical id-pe-acmeIdentifier extension holding
/// SHA-256 of the key authorization. Lives in memory only, for the minutes a challenge is pending.
public enum ChallengeCertificate {
    /// id-pe-acmeIdentifier.
    public static let acmeIdentifierOID = "1.3.6.1.5.5.7.1.31"
    /// Long enough for any validation, short enough that a leaked one is worthless.
    static let days = 7

    public static func make(name: String, keyAuthorization: String) throws -> CertificateKeyPair {
        ERR_clear_error()
        let key = try PrivateKey.generateEC(curve: "P-256")
        let commonName = name.utf8.count <= 64 ? name : nil
        let builder = try CertificateBuilder(commonName: commonName, publicKey: key, issuer: nil,
                                             validFromOffsetSeconds: SelfSignedAuthority.backdateSeconds, days: days)
        try builder.addExtension(NID_subject_alt_name, commonName == nil ? "critical,DNS:" + name : "DNS:" + name)
        try builder.addExtension(oid: acmeIdentifierOID, critical: true,
                                 der: extensionValue(keyAuthorization: keyAuthorization))
        let certificate = try builder.sign(with: key)
        return try CertificateKeyPair(inMemory: certificate, key: key, label: "acme-tls/1 challenge for \(name)")
    }

    /// The extension's value: the DER of `Authorization ::= OCTET STRING (SIZE (32))`, the 32 bytes being
    /// SHA-256 of the key authorization (tag 0x04, length 0x20).
    static func extensionValue(keyAuthorization: String) -> [UInt8] {
        [0x04, 0x20] + SHA256Digest.hash(Array(keyAuthorization.utf8))
    }
}
