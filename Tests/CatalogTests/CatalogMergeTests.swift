import Glibc
import MTASTS
import Testing
@testable import Catalog
@testable import TLS

/// The keep-the-last-good merge, case by case as the reload end-to-end tests (test_serve_reload.py,
/// test_safety_*.py) drive it, without a disk: scans are made up, the merge is pure.
struct CatalogMergeTests {
    let sources = CatalogSources(policiesDirectory: "/p", certificatesDirectory: "/c", reloadCertificateBatch: 2)
    let directory = PolicyTestDirectory()

    func policy(_ domain: String, mode: PolicyMode = .enforce, alias: Bool = false) -> LoadedPolicy {
        var loaded = LoadedPolicy(domain: domain, path: "/p/\(domain).txt",
                                  policy: Policy(mode: mode, mx: ["mx.\(domain)"], maxAge: 86_400))
        loaded.isAlias = alias
        return loaded
    }

    func catalog(_ policies: [LoadedPolicy], pairs: [CertificateKeyPair] = []) -> Catalog {
        Catalog(policies: policies, certificates: CertificateIndex(pairs: pairs), defaultHost: nil)
    }

    func everything(_ policies: [LoadedPolicy], rejected: [String] = [], present: Set<String> = [],
                    certificates: CertificateDirectory.LoadResult = .init()) -> CatalogScan {
        .everything(policies: PolicyDirectoryReport(policies: policies, rejectedFiles: rejected),
                    certificates: certificates, present: present)
    }

    func policyFiles(_ names: Set<String>, _ policies: [LoadedPolicy], rejected: [String] = []) -> CatalogScan {
        .policyFiles(names: names, loaded: PolicyDirectoryReport(policies: policies, rejectedFiles: rejected))
    }

    func merge(_ previous: Catalog?, _ scanned: CatalogScan, report: CatalogLoader.Report = .init(),
               batch: CatalogMerge.Batch = .init()) -> CatalogMerge.Result {
        CatalogMerge.merge(previous: previous, previousReport: report, scanned: scanned, batch: batch, sources: sources)
    }

    func candidate(_ name: String) -> CertificateDirectory.Candidate {
        CertificateDirectory.Candidate(certificatePath: "/c/\(name).crt", keyPath: "/c/\(name).key")
    }

    @Test func anInvalidEditKeepsTheLastGoodPolicyUntilFixed() {
        let good = policy("a.test"), previous = catalog([good, policy("b.test")])
        for scanned in [everything([policy("b.test")], rejected: ["/p/a.test.txt"]),
                        policyFiles(["a.test.txt"], [], rejected: ["/p/a.test.txt"])] {
            let merged = merge(previous, scanned)
            #expect(merged.catalog.servedIDs == ["a.test": good.id, "b.test": policy("b.test").id])
            #expect(merged.report.keptPrevious == ["a.test"])
            #expect(merged.report.rejectedPolicyFiles == ["/p/a.test.txt"])
        }
        // Fixed: the new version serves and the report forgets the rejection.
        let broken = merge(previous, policyFiles(["a.test.txt"], [], rejected: ["/p/a.test.txt"]))
        let fixed = policy("a.test", mode: .testing)
        let merged = merge(broken.catalog, policyFiles(["a.test.txt"], [fixed]), report: broken.report)
        #expect(merged.catalog.policies["a.test"]?.id == fixed.id)
        #expect(merged.report.keptPrevious.isEmpty && merged.report.rejectedPolicyFiles.isEmpty)
        #expect(merged.report.scope == "policies")
    }

    @Test func aNewFileThatIsInvalidServesNothing() {
        let merged = merge(catalog([]), everything([], rejected: ["/p/new.test.txt"]))
        #expect(merged.catalog.policies.isEmpty && merged.report.keptPrevious.isEmpty)
    }

    @Test func aHalfWrittenFileKeepsItsPreviousVersion() {
        // Not read (its writer has not closed it) but still there: the previous version serves, with no error.
        let previous = catalog([policy("a.test")])
        let merged = merge(previous, everything([], present: ["/p/a.test.txt"]))
        #expect(merged.catalog.servedIDs == previous.servedIDs)
        #expect(merged.report.keptPrevious.isEmpty && merged.report.rejectedPolicyFiles.isEmpty)
        // A new file being written is not served until it is closed and read.
        #expect(merge(catalog([]), everything([], present: [])).catalog.policies.isEmpty)
    }

    @Test func aDeletedFileStopsBeingServed() {
        let previous = catalog([policy("a.test"), policy("b.test")])
        for scanned in [everything([policy("b.test")]), policyFiles(["a.test.txt"], [])] {
            #expect(merge(previous, scanned).catalog.policies.keys.sorted() == ["b.test"])
        }
    }

    @Test func aRenameServesTheNewNameOnly() {
        let previous = catalog([policy("a.test")])
        let renamed = policy("b.test")
        for scanned in [everything([renamed]), policyFiles(["a.test.txt", "b.test.txt"], [renamed])] {
            #expect(merge(previous, scanned).catalog.policies.keys.sorted() == ["b.test"])
        }
        // Renamed over while being listed: the listing missed it, the file is there, its policy stays.
        let missed = merge(previous, everything([], present: ["/p/a.test.txt"]))
        #expect(missed.catalog.policies.keys.sorted() == ["a.test"])
    }

    @Test func anAliasIsReadAgainWithItsTarget() {
        let previous = catalog([policy("t.test"), policy("alias.test", alias: true), policy("other.test")])
        let names = CatalogScan.policyFileNames(changed: ["t.test.txt"], previous: previous)
        #expect(names == ["t.test.txt", "alias.test.txt"])
        let target = policy("t.test", mode: .testing)
        var alias = LoadedPolicy(domain: "alias.test", path: "/p/alias.test.txt", policy: target.policy)
        alias.isAlias = true
        let merged = merge(previous, policyFiles(names, [target, alias]))
        #expect(merged.catalog.policies["t.test"]?.id == target.id)
        #expect(merged.catalog.policies["alias.test"]?.id == target.id)
        #expect(merged.catalog.policies["other.test"]?.id == policy("other.test").id)
    }

    @Test func aMismatchedPairIsReportedWhileThePreviousPairServes() throws {
        let pair = try directory.issueCertificate("a", ["mta-sts.a.test"])
        var loaded = CertificateDirectory.LoadResult()
        loaded.pairs = [pair]  // kept from before by CertificateDirectory.load
        loaded.keptPrevious = [pair.certificatePath]
        loaded.rejectedPairs = [.init(certificatePath: pair.certificatePath, message: "key does not match")]
        loaded.problems = ["\(pair.certificatePath): key does not match; keeping the previous pair"]
        let merged = merge(catalog([policy("a.test")], pairs: [pair]), everything([policy("a.test")], certificates: loaded))
        #expect(merged.catalog.certificates.pairs.map(\.certificatePath) == [pair.certificatePath])
        #expect(merged.report.keptPreviousCertificates == [pair.certificatePath])
        #expect(merged.report.rejectedCertificates == [pair.certificatePath])
        #expect(merged.report.certificateProblems == loaded.problems && merged.report.problems.isEmpty)
        #expect(merged.catalog.uncoveredDomains.isEmpty)
    }

    @Test func aCertbotRenewalServesTheNewPair() throws {
        let old = try directory.issueCertificate("live", ["mta-sts.a.test"])
        let renewed = try directory.issueCertificate("live", ["mta-sts.a.test"])
        var loaded = CertificateDirectory.LoadResult()
        loaded.pairs = [renewed]
        loaded.parsedCount = 1
        let merged = merge(catalog([policy("a.test")], pairs: [old]), everything([policy("a.test")], certificates: loaded))
        let served = try #require(merged.catalog.certificates.pairs(forServerName: "mta-sts.a.test"))
        #expect(served.count == 1 && served[0] === renewed)
        #expect(merged.report.certificatesParsed == 1 && !merged.report.hasProblems)
    }

    @Test func anUnreadableCertificateDirectoryKeepsWhatItServed() throws {
        directory.mkdir("a")
        directory.mkdir("b")
        let inA = try directory.issueCertificate("a/x", ["mta-sts.a.test"])
        let inB = try directory.issueCertificate("b/y", ["mta-sts.b.test"])
        let previous = catalog([policy("a.test"), policy("b.test")], pairs: [inA, inB])

        var root = CertificateDirectory.LoadResult()
        root.rootError = .init("cannot read directory", path: "/c", code: EACCES)
        root.problems = ["cannot read directory /c: Permission denied"]
        let whole = merge(previous, everything([policy("a.test"), policy("b.test")], certificates: root))
        #expect(Set(whole.catalog.certificates.pairs.map(\.certificatePath)) == [inA.certificatePath, inB.certificatePath])
        #expect(whole.report.problems.count == 1 && whole.report.problems[0].contains("keeping 2 certificates"))
        #expect(whole.report.certificateProblems.isEmpty)

        var below = CertificateDirectory.LoadResult()
        below.pairs = [inB]
        below.unreadableDirectories = [.init("cannot read directory", path: directory.path + "/a", code: EACCES)]
        let part = merge(previous, everything([policy("a.test"), policy("b.test")], certificates: below))
        #expect(Set(part.catalog.certificates.pairs.map(\.certificatePath)) == [inA.certificatePath, inB.certificatePath])
        #expect(part.report.problems.count == 1 && part.report.problems[0].contains("keeping 1 certificates"))

        // A readable directory without the pair is the operator removing it.
        var removed = CertificateDirectory.LoadResult()
        removed.pairs = [inB]
        let gone = merge(previous, everything([policy("a.test"), policy("b.test")], certificates: removed))
        #expect(gone.catalog.certificates.pairs.map(\.certificatePath) == [inB.certificatePath])
        #expect(gone.catalog.uncoveredDomains == ["a.test"])
    }

    @Test func certificateBatchesChainUntilNothingNewIsRead() {
        var first = CertificateDirectory.LoadResult()
        first.deferredCount = 3
        first.attempted = [candidate("1"), candidate("2")]
        let pass1 = merge(catalog([]), everything([], certificates: first))
        #expect(pass1.nextBatch == CatalogMerge.Batch(attempted: [candidate("1"), candidate("2")]))

        // The next pass reads pairs the chain has not read (failing ones included): the chain moves on.
        var second = CertificateDirectory.LoadResult()
        second.deferredCount = 1
        second.attempted = [candidate("3"), candidate("4")]
        let pass2 = merge(pass1.catalog, everything([], certificates: second), batch: pass1.nextBatch!)
        #expect(pass2.nextBatch?.attempted.count == 4)

        // Nothing new read (only pairs the chain tried before, still failing): the chain ends instead of spinning.
        var stalled = CertificateDirectory.LoadResult()
        stalled.deferredCount = 1
        stalled.attempted = [candidate("1")]
        #expect(merge(pass2.catalog, everything([], certificates: stalled), batch: pass2.nextBatch!).nextBatch == nil)

        // Nothing deferred, or a policy-only pass: no follow-up.
        var done = CertificateDirectory.LoadResult()
        done.attempted = [candidate("5")]
        #expect(merge(pass2.catalog, everything([], certificates: done), batch: pass2.nextBatch!).nextBatch == nil)
        #expect(merge(pass2.catalog, policyFiles(["a.test.txt"], []), batch: pass2.nextBatch!).nextBatch == nil)
    }

    @Test func aPolicyOnlyPassKeepsTheCertificatesAndResetsTheirCounts() throws {
        let pair = try directory.issueCertificate("a", ["mta-sts.a.test"])
        var previousReport = CatalogLoader.Report()
        previousReport.certificatesParsed = 7
        previousReport.certificatesDeferred = 2
        previousReport.certificateProblems = ["/c/bad.crt: expired"]
        let merged = merge(catalog([policy("a.test")], pairs: [pair]), policyFiles(["b.test.txt"], [policy("b.test")]),
                           report: previousReport)
        #expect(merged.catalog.certificates.pairs.map(\.certificatePath) == [pair.certificatePath])
        #expect(merged.catalog.policies.keys.sorted() == ["a.test", "b.test"])
        #expect(merged.report.certificatesParsed == 0 && merged.report.certificatesDeferred == 0)
        #expect(merged.report.certificateProblems == ["/c/bad.crt: expired"])
    }

    @Test func fileNamesAndDomainsMapBothWays() {
        #expect(PolicyFileName.domain(ofPath: "/p/example.com.txt") == "example.com")
        #expect(PolicyFileName.domain(ofPath: "example.com.txt") == "example.com")
        #expect(PolicyFileName.domain(ofPath: "/p/notes.md") == nil)
        #expect(PolicyFileName.fileName(forDomain: "example.com") == "example.com.txt")
        #expect(Catalog.hostName(forDomain: "example.com") == "mta-sts.example.com")
    }
}
