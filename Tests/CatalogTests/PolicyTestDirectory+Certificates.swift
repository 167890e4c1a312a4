import TLS

extension PolicyTestDirectory {
    /// A pair issued by a CA kept in this directory (made on first use), loaded as the server loads pairs.
    func issueCertificate(_ name: String, _ dnsNames: [String]) throws -> CertificateKeyPair {
        let ca = try SelfSignedAuthority.loadOrCreateCA(directory: path + "/ca")
        let certificate = path + "/\(name).crt", key = path + "/\(name).key"
        try SelfSignedAuthority.issue(dnsNames: dnsNames, ca: ca, certificatePath: certificate, keyPath: key)
        return try CertificateKeyPair(certificatePath: certificate, keyPath: key)
    }
}
