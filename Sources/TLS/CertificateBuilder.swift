internal import COpenSSL

/// An X.509 v3 certificate under construction: subject, serial, validity and extensions, signed last.
final class CertificateBuilder {
    private let certificate: X509Certificate
    /// The issuing certificate; nil while building a self-signed one (the certificate issues itself).
    private let issuer: X509Certificate?

    /// `commonName` is left out when longer than X.509's 64-character limit; callers then mark the SAN critical.
    init(commonName: String?, publicKey: PrivateKey, issuer: X509Certificate?,
         validFromOffsetSeconds: Int, days: Int) throws {
        guard let pointer = X509_new() else { throw TLSError.drain("X509_new") }
        self.certificate = X509Certificate(owning: pointer)
        self.issuer = issuer
        guard X509_set_version(pointer, Int(X509_VERSION_3)) == 1,
              X509_set_pubkey(pointer, publicKey.pointer) == 1
        else { throw TLSError.drain("setting up a certificate") }
        try setRandomSerial()
        guard X509_time_adj_ex(X509_getm_notBefore(pointer), 0, validFromOffsetSeconds, nil) != nil,
              X509_time_adj_ex(X509_getm_notAfter(pointer), Int32(days), validFromOffsetSeconds, nil) != nil
        else { throw TLSError.drain("setting the validity period") }
        if let commonName {
            let bytes = Array(commonName.utf8)
            guard X509_NAME_add_entry_by_NID(X509_get_subject_name(pointer), NID_commonName, MBSTRING_ASC,
                                             bytes, Int32(bytes.count), -1, 0) == 1
            else { throw TLSError.drain("setting the subject CN=\(commonName)") }
        }
        guard X509_set_issuer_name(pointer, X509_get_subject_name(issuer?.pointer ?? pointer)) == 1 else {
            throw TLSError.drain("setting the issuer name")
        }
    }

    /// Adds one extension in `openssl.cnf` syntax, e.g. `critical,CA:TRUE` for `NID_basic_constraints`.
    /// Identifier extensions read their keys from the context: add subjectKeyIdentifier before anything refers to it.
    func addExtension(_ nid: Int32, _ value: String) throws {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? certificate.pointer, certificate.pointer, nil, nil, 0)
        guard let extensionObject = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
            throw TLSError.drain("building extension \(String(cString: OBJ_nid2sn(nid))) = \(value)")
        }
        defer { X509_EXTENSION_free(extensionObject) }
        guard X509_add_ext(certificate.pointer, extensionObject, -1) == 1 else {
            throw TLSError.drain("adding extension \(String(cString: OBJ_nid2sn(nid)))")
        }
    }

    /// Adds an extension OpenSSL has no configuration syntax for: `der` is the extnValue's content (itself DER),
    /// e.g. ACME's id-pe-acmeIdentifier (RFC 8737 §3).
    func addExtension(oid: String, critical: Bool, der: [UInt8]) throws {
        guard let object = OBJ_txt2obj(oid, 1) else { throw TLSError.drain("parsing OID \(oid)") }
        defer { ASN1_OBJECT_free(object) }
        guard let value = ASN1_OCTET_STRING_new() else { throw TLSError.drain("ASN1_OCTET_STRING_new") }
        defer { ASN1_OCTET_STRING_free(value) }
        guard ASN1_OCTET_STRING_set(value, der, Int32(der.count)) == 1,
              let extensionObject = X509_EXTENSION_create_by_OBJ(nil, object, critical ? 1 : 0, value)
        else { throw TLSError.drain("building extension \(oid)") }
        defer { X509_EXTENSION_free(extensionObject) }
        guard X509_add_ext(certificate.pointer, extensionObject, -1) == 1 else {
            throw TLSError.drain("adding extension \(oid)")
        }
    }

    /// Signs with SHA-256 and returns the finished certificate (this builder's own; build nothing more with it).
    func sign(with key: PrivateKey) throws -> X509Certificate {
        guard X509_sign(certificate.pointer, key.pointer, EVP_sha256()) > 0 else {
            throw TLSError.drain("signing the certificate")
        }
        return certificate
    }

    /// 128 random bits with the top bit set: positive, never zero, 17 DER octets (RFC 5280 allows 20).
    private func setRandomSerial() throws {
        guard let serial = BN_new() else { throw TLSError.drain("BN_new") }
        defer { BN_free(serial) }
        guard BN_rand(serial, 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1,
              BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(certificate.pointer)) != nil
        else { throw TLSError.drain("setting a random serial number") }
    }
}
