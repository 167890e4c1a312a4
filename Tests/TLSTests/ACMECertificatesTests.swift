import Testing
@testable import TLS

/// The TLS-ALPN-01 challenge certificate, the CSR and the ARI certificate identifier, each parsed back by `openssl`.
struct ACMECertificatesTests {
    @Test func challengeCertificateHasTheNameAndACriticalAcmeIdentifierWithTheKeyAuthorizationsHash() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let keyAuthorization = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.DOvxvJiAdIqVWIkFt5hDtCunXLF0BV4-JGv4f-ALSm0"
        let pair = try ChallengeCertificate.make(name: "mta-sts.example.test", keyAuthorization: keyAuthorization)
        #expect(pair.dnsNames == ["mta-sts.example.test"])
        #expect(pair.keyType == .ecdsa)
        #expect(pair.chain.count == 0)
        #expect(pair.notAfter > pair.notBefore)

        try pki.write(pki.path("challenge.der"), bytes: try pair.leaf.der())
        try pki.write(pki.path("key-authorization"), keyAuthorization)
        let digest = try pki.openssl("dgst -sha256 -r '\(pki.path("key-authorization"))'").prefix(64).uppercased()
        // asn1parse prints the extension as: OBJECT :1.3.6.1.5.5.7.1.31 / BOOLEAN :255 / OCTET STRING [HEX DUMP]:...
        let parsed = try pki.openssl("asn1parse -inform DER -in '\(pki.path("challenge.der"))'")
            .split(separator: "\n").map { String($0) }
        let index = try #require(parsed.firstIndex { $0.hasSuffix(":1.3.6.1.5.5.7.1.31") })
        #expect(parsed[index + 1].hasSuffix("BOOLEAN           :255"))
        #expect(parsed[index + 2].hasSuffix("OCTET STRING      [HEX DUMP]:0420" + digest))
        #expect(ChallengeCertificate.extensionValue(keyAuthorization: keyAuthorization).count == 34)

        let text = try pki.openssl("x509 -inform DER -in '\(pki.path("challenge.der"))' -noout -text")
        #expect(text.contains("1.3.6.1.5.5.7.1.31: critical"))
        #expect(text.contains("DNS:mta-sts.example.test"))
        #expect(!text.contains("DNS:", after: "DNS:mta-sts.example.test"))
    }

    @Test func challengeCertificateForANameLongerThanACommonNameMarksTheSANCritical() throws {
        let name = String(repeating: "a", count: 60) + ".mta-sts.example.test"
        let pair = try ChallengeCertificate.make(name: name, keyAuthorization: "token.thumbprint")
        #expect(pair.dnsNames == [name])
    }

    @Test func csrCarriesTheNameInItsSANAndItsSignatureVerifies() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let request = try CertificateSigningRequest.make(dnsName: "mta-sts.example.test")
        try pki.write(pki.path("request.der"), bytes: request.der)
        try pki.write(pki.path("key.pem"), request.privateKeyPEM)
        let text = try pki.openssl("req -inform DER -in '\(pki.path("request.der"))' -noout -verify -text")
        #expect(text.contains("verify OK"))
        #expect(text.contains("DNS:mta-sts.example.test"))
        #expect(text.contains("CN = mta-sts.example.test"))
        #expect(text.contains("NIST CURVE: P-256"))
        #expect(request.privateKeyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        let requestKey = try pki.openssl("req -inform DER -in '\(pki.path("request.der"))' -noout -pubkey")
        let privateKey = try pki.openssl("pkey -in '\(pki.path("key.pem"))' -pubout")
        #expect(requestKey == privateKey)
        #expect(try CertificateSigningRequest.make(dnsName: "mta-sts.example.test").privateKeyPEM != request.privateKeyPEM)
    }

    /// RFC 9773 §4.1's example: keyIdentifier 69:88:5B:...:C8:D4 and serial 0x0087654321 give
    /// "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE".
    @Test func renewalIdentifierMatchesRFC9773sExample() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        try pki.openssl("genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out '\(pki.path("ca.key"))'")
        try pki.openssl("req -x509 -new -key '\(pki.path("ca.key"))' -subj '/CN=ARI CA' -days 1 -out '\(pki.path("ca.pem"))'"
                        + " -addext 'basicConstraints=critical,CA:TRUE'"
                        + " -addext 'subjectKeyIdentifier=69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4'")
        try pki.write(pki.path("leaf.ext"), "authorityKeyIdentifier=keyid:always\nsubjectAltName=DNS:mta-sts.example.test\n")
        try pki.openssl("req -new -key '\(pki.path("ca.key"))' -subj '/CN=leaf' -out '\(pki.path("leaf.csr"))'")
        try pki.openssl("x509 -req -in '\(pki.path("leaf.csr"))' -CA '\(pki.path("ca.pem"))' -CAkey '\(pki.path("ca.key"))'"
                        + " -set_serial 0x87654321 -days 1 -extfile '\(pki.path("leaf.ext"))' -out '\(pki.path("leaf.pem"))'")
        let chain = try pki.read(pki.path("leaf.pem")) + pki.read(pki.path("ca.pem"))
        #expect(try RenewalCertificateIdentifier.make(certificatePEM: chain) == "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE")
        #expect(throws: TLSError.self) { try RenewalCertificateIdentifier.make(certificatePEM: "no certificate") }
    }
}

private extension String {
    /// Whether `needle` occurs again after the first `marker`.
    func contains(_ needle: String, after marker: String) -> Bool {
        guard let range = firstRange(of: marker) else { return false }
        return self[range.upperBound...].contains(needle)
    }
}
