import MTASTS
import Testing
import TLS
@testable import Catalog

/// A domain is served only with a valid policy and a certificate that is valid now for its mta-sts. host.
struct DomainHealthTests {
    let directory = PolicyTestDirectory()

    func policy(_ domain: String) throws -> LoadedPolicy {
        let text = "version: STSv1\nmode: enforce\nmx: mx.\(domain)\nmax_age: 86400\n"
        let parsed = try #require(PolicyParser.parse(Array(text.utf8)).policy)
        return LoadedPolicy(domain: domain, path: "policies/\(domain).txt", policy: parsed)
    }

    @Test func eachDomainGetsTheStateSendersWouldSee() throws {
        let pair = try directory.issueCertificate("a", ["mta-sts.a.test", "*.w.test"])
        let catalog = Catalog(policies: [try policy("a.test"), try policy("w.test"), try policy("bare.test")],
                              certificates: CertificateIndex(pairs: [pair]), defaultHost: nil)
        let rejected = ["policies/broken.test.txt", "policies/a.test.txt"]
        let now = pair.notAfter - 60
        let states = DomainHealth.states(catalog, rejectedPolicyFiles: rejected, now: now)
        #expect(states == ["a.test": .served, "w.test": .served, "bare.test": .noCertificate,
                           "broken.test": .rejectedPolicy])
        let later = DomainHealth.states(catalog, rejectedPolicyFiles: [], now: pair.notAfter)
        #expect(later["a.test"] == .certificateExpired && later["w.test"] == .certificateExpired)
        let counts = DomainHealth.counts(states)
        #expect(counts == [.served: 2, .noCertificate: 1, .certificateExpired: 0, .rejectedPolicy: 1])
    }
}
