import Testing
@testable import TLS

/// The owning wrappers around OpenSSL's certificates, keys and chains, and the subjectAltName parsing over them.
struct X509CertificateTests {
    let pki: TestPKI

    init() throws { pki = try TestPKI() }

    private func certificate(_ path: String) throws -> X509Certificate {
        try #require(X509Certificate(pem: try pki.read(path)))
    }

    private func loader() -> CertificateLoader {
        CertificateLoader(trustAnchors: TrustAnchors(certificateFile: "/dev/null"))
    }

    @Test func dnsNamesAreTheSANsDNSEntriesLowerCasedInOrder() throws {
        defer { pki.remove() }
        let issued = try pki.selfSigned("mixed", subjectAltName:
            "DNS:MTA-STS.Example.COM,IP:192.0.2.1,email:postmaster@example.com,DNS:*.example.net,URI:https://example.org/")
        #expect(try certificate(issued.certificate).dnsNames == ["mta-sts.example.com", "*.example.net"])
    }

    @Test func certificateWithoutSANsHasNoDNSNames() throws {
        defer { pki.remove() }
        let cnOnly = try pki.selfSigned("mta-sts.example.com", subjectAltName: nil)
        #expect(try certificate(cnOnly.certificate).dnsNames.isEmpty)
        let ipOnly = try pki.selfSigned("ip-only", subjectAltName: "IP:192.0.2.1")
        #expect(try certificate(ipOnly.certificate).dnsNames.isEmpty)
    }

    @Test func textWithoutACertificateParsesToNil() {
        defer { pki.remove() }
        #expect(X509Certificate(pem: "") == nil)
        #expect(X509Certificate(pem: "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n") == nil)
    }

    @Test func chainHoldsItsCertificatesAfterTheirWrappersGo() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let intermediate = try pki.issue("intermediate", by: root, isCA: true)
        var chain: CertificateChain?
        weak var dropped: X509Certificate?
        do {
            let first = try certificate(intermediate.certificate)
            let second = try certificate(root.certificate)
            dropped = first
            chain = CertificateChain([first, second])
        }
        #expect(dropped == nil)
        let kept = try #require(chain)
        #expect(kept.count == 2)
        #expect(kept[0] != kept[1])
        #expect(CertificateChain([])?.count == 0)
    }

    @Test func pairsOfOneLoadShareTheirChainAndAPairUnderANewSignatureSharesEverything() throws {
        defer { pki.remove() }
        let root = try pki.root("root")
        let intermediate = try pki.issue("intermediate", by: root, isCA: true)
        let one = try pki.issue("one", by: intermediate)
        let two = try pki.issue("two", by: intermediate)
        let oneFull = try pki.concatenate([one.certificate, intermediate.certificate], into: "one-full.pem")
        let twoFull = try pki.concatenate([two.certificate, intermediate.certificate], into: "two-full.pem")
        var first: CertificateKeyPair?
        var second: CertificateKeyPair?
        do {
            let loader = loader()
            first = try loader.load(certificatePath: oneFull, keyPath: one.key).pair
            second = try loader.load(certificatePath: twoFull, keyPath: two.key).pair
        }
        // The loader and its caches are gone; the pairs keep what they use.
        let a = try #require(first), b = try #require(second)
        #expect(a.chain === b.chain)
        #expect(a.chain.count == 1)
        #expect(a.leaf !== b.leaf)
        #expect(a.leaf.dnsNames == ["mta-sts.example.com"])

        let moved = a.withSignature([nil, nil])
        #expect(moved.leaf === a.leaf && moved.key === a.key && moved.chain === a.chain)
        #expect(moved.dnsNames == a.dnsNames)
    }

    @Test func aSelfSignedPairHasAnEmptyChain() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let pair = try loader().load(certificatePath: leaf.certificate, keyPath: leaf.key).pair
        #expect(pair.chain.count == 0)
        #expect(pair.keyType == .ecdsa)
    }

    @Test func generatedKeysAreDistinctObjects() throws {
        defer { pki.remove() }
        let one = try PrivateKey.generateEC(curve: "P-256")
        let two = try PrivateKey.generateEC(curve: "P-256")
        #expect(one.pointer != two.pointer)
        #expect(throws: TLSError.self) { try PrivateKey.generateEC(curve: "no-such-curve") }
    }
}
