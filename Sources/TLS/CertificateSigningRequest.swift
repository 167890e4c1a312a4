internal import COpenSSL

/// A PKCS#10 request for one DNS name, signed by a fresh P-256 key: what ACME's finalize step sends (RFC 8555 §7.4),
/// with the key the issued certificate will be served with.
public struct CertificateSigningRequest: Sendable {
    /// The request in DER, for `{"csr": base64url(der)}`.
    public let der: [UInt8]
    /// The new key, PKCS#8 PEM: it becomes `privkey.pem` next to the issued chain.
    public let privateKeyPEM: String

    /// Subject CN = `dnsName` when it fits X.509's 64 characters; the name itself is in the subjectAltName
    /// extension, which is what CAs read.
    public static func make(dnsName: String) throws -> CertificateSigningRequest {
        ERR_clear_error()
        let key = try PrivateKey.generateEC(curve: "P-256")
        guard let request = X509_REQ_new() else { throw TLSError.drain("X509_REQ_new") }
        defer { X509_REQ_free(request) }
        guard X509_REQ_set_version(request, 0) == 1, X509_REQ_set_pubkey(request, key.pointer) == 1 else {
            throw TLSError.drain("setting up a certificate request for \(dnsName)")
        }
        if dnsName.utf8.count <= 64 {
            let bytes = Array(dnsName.utf8)
            guard X509_NAME_add_entry_by_NID(X509_REQ_get_subject_name(request), NID_commonName, MBSTRING_ASC,
                                             bytes, Int32(bytes.count), -1, 0) == 1
            else { throw TLSError.drain("setting the request's subject CN=\(dnsName)") }
        }
        try addSubjectAltName(dnsName, to: request)
        guard X509_REQ_sign(request, key.pointer, EVP_sha256()) > 0 else {
            throw TLSError.drain("signing the certificate request for \(dnsName)")
        }
        let der = try MemoryBIO.bytes("encoding the certificate request") { i2d_X509_REQ_bio($0, request) }
        return CertificateSigningRequest(der: der, privateKeyPEM: try key.pkcs8PEM())
    }

    private static func addSubjectAltName(_ dnsName: String, to request: OpaquePointer) throws {
        guard let extensions = shim_sk_X509_EXTENSION_new_null() else { throw TLSError.drain("allocating extensions") }
        defer { shim_sk_X509_EXTENSION_pop_free(extensions) }
        guard let subjectAltName = X509V3_EXT_conf_nid(nil, nil, NID_subject_alt_name, "DNS:" + dnsName) else {
            throw TLSError.drain("building subjectAltName DNS:\(dnsName)")
        }
        guard shim_sk_X509_EXTENSION_push(extensions, subjectAltName) > 0 else {
            X509_EXTENSION_free(subjectAltName)
            throw TLSError.drain("adding subjectAltName")
        }
        guard X509_REQ_add_extensions(request, extensions) == 1 else {
            throw TLSError.drain("adding the request's extensions")
        }
    }
}
