import Glibc
import Testing
import TLS

/// SNI lookup over real certificates (issued by the local CA): exact names, wildcards, defaults.
struct CertificateIndexTests {
    let directory = PolicyTestDirectory()

    @Test func findsExactNamesBeforeWildcardsAndIgnoresCase() throws {
        let exact = try directory.issueCertificate("exact", ["mta-sts.a.test"])
        let wildcard = try directory.issueCertificate("wildcard", ["*.a.test", "*.b.test"])
        let index = CertificateIndex(pairs: [wildcard, exact])
        #expect(index.pairs(forServerName: "mta-sts.a.test")?.map(\.certificatePath) == [exact.certificatePath])
        #expect(index.pairs(forServerName: "MTA-STS.B.test")?.map(\.certificatePath) == [wildcard.certificatePath])
        #expect(index.pairs(forServerName: "other.a.test")?.map(\.certificatePath) == [wildcard.certificatePath])
    }

    @Test func anOperatorCertificateWinsOverAnIssuedOneExactlyOrByWildcard() throws {
        mkdir(directory.path + "/issued", 0o700)
        let exact = try directory.issueCertificate("exact", ["mta-sts.a.test"])
        let wildcard = try directory.issueCertificate("wildcard", ["*.b.test"])
        let issued = try ["a", "b", "c"].map { try directory.issueCertificate("issued/\($0)", ["mta-sts.\($0).test"]) }
        let index = CertificateIndex(pairs: issued + [exact, wildcard], issuedDirectory: directory.path + "/issued")
        #expect(index.pairs(forServerName: "mta-sts.a.test")?.map(\.certificatePath) == [exact.certificatePath])
        #expect(index.pairs(forServerName: "mta-sts.b.test")?.map(\.certificatePath) == [wildcard.certificatePath])
        #expect(index.pairs(forServerName: "mta-sts.c.test")?.map(\.certificatePath) == [issued[2].certificatePath])
        #expect(index.issuedPairs.map(\.certificatePath) == issued.map(\.certificatePath))
        #expect(index.coversWithOperatorCertificate("mta-sts.a.test"))
        #expect(index.coversWithOperatorCertificate("mta-sts.b.test"))
        #expect(!index.coversWithOperatorCertificate("mta-sts.c.test"))
        // Without an issued directory every pair is the operator's.
        #expect(CertificateIndex(pairs: issued).coversWithOperatorCertificate("mta-sts.c.test"))
    }

    @Test(arguments: ["a.test", "deep.mta-sts.b.test", "b.test.", "", ".", "test"])
    func wildcardsCoverExactlyOneLabel(name: String) throws {
        let index = CertificateIndex(pairs: [try directory.issueCertificate("wildcard", ["*.b.test", "*.a.test"])])
        #expect(index.pairs(forServerName: name) == nil)
    }

    @Test func selectionRefusesUnknownAndMissingNamesUnlessThereIsADefault() throws {
        let index = CertificateIndex(pairs: [try directory.issueCertificate("a", ["mta-sts.a.test"])])
        let strict = ServerNameSelection(index: index, defaultHost: nil)
        guard case .unknownName("mta-sts.z.test") = strict.select(serverName: "mta-sts.z.test") else { Issue.record(); return }
        guard case .missingName = strict.select(serverName: nil) else { Issue.record(); return }
        guard case .use(_, let host) = strict.select(serverName: "Mta-Sts.A.Test") else { Issue.record(); return }
        #expect(host == "mta-sts.a.test")

        let lenient = ServerNameSelection(index: index, defaultHost: "MTA-STS.a.test")
        guard case .use(_, let fallback) = lenient.select(serverName: nil) else { Issue.record(); return }
        #expect(fallback == "mta-sts.a.test")
        // A default host never answers for a name the client did send.
        guard case .unknownName = lenient.select(serverName: "mta-sts.z.test") else { Issue.record(); return }
    }

    @Test func findsPairsInEveryLayoutAndNothingElse() {
        let files: Set<String> = ["fullchain.pem", "privkey.pem", "cert.pem", "chain.pem", "tls.crt", "tls.key",
                                  "a.crt", "a.key", "b.pem", "b.key", "c.crt", "orphan.key", "README.md"]
        let pairs = CertificateDirectory.pairs(among: files).map { "\($0.0)+\($0.1)" }
        #expect(pairs == ["fullchain.pem+privkey.pem", "tls.crt+tls.key", "a.crt+a.key", "b.pem+b.key"])
    }
}
