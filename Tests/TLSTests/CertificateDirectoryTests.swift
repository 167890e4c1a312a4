import Glibc
import Testing
import TLS

/// The walk (symlinks, exclusions, unreadable directories) and the keep-the-previous-pair rules of a load.
struct CertificateDirectoryTests {
    let pki: TestPKI

    init() throws { pki = try TestPKI() }

    /// `directory/tls.crt` + `tls.key`, copied from a self-signed leaf.
    private func addPair(in directory: String, from leaf: TestPKI.Issued) throws {
        try pki.write(directory + "/tls.crt", try pki.read(leaf.certificate))
        try pki.write(directory + "/tls.key", try pki.read(leaf.key))
    }

    @Test func directorySymlinkLeavingTheRootIsNotFollowed() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let root = try pki.makeDirectory("certs")
        let inside = try pki.makeDirectory("certs/inside")
        let outside = try pki.makeDirectory("outside")
        try addPair(in: inside, from: leaf)
        try addPair(in: outside, from: leaf)
        _ = try pki.symlink(outside, at: "certs/away")
        // Inside the root: followed, and its pair (the same directory) counted once.
        _ = try pki.symlink(inside, at: "certs/other-name")
        let nested = try pki.makeDirectory("certs/nested")
        _ = try pki.symlink("../../outside", at: "certs/nested/deeper")

        let result = CertificateDirectory.load(directory: root)
        #expect(result.pairs.map(\.certificatePath) == [inside + "/tls.crt"])
        #expect(result.symlinksNotFollowed == [
            "\(root)/away: directory symlink leaves \(root); not followed",
            "\(nested)/deeper: directory symlink leaves \(root); not followed",
        ])
        #expect(!result.warnings.contains(result.symlinksNotFollowed[0]))  // the server warns once per link itself
        #expect(result.rootError == nil && result.problems.isEmpty)
    }

    @Test func rootReachedThroughASymlinkStillFollowsLinksInsideIt() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let real = try pki.makeDirectory("real")
        try addPair(in: try pki.makeDirectory("real/site"), from: leaf)
        _ = try pki.symlink(real + "/site", at: "real/alias")
        let link = try pki.symlink(real, at: "certs")
        let scan = try CertificateDirectory.scan(link)
        #expect(scan.candidates.map(\.certificatePath) == [link + "/alias/tls.crt"])
        #expect(scan.symlinksNotFollowed.isEmpty)
    }

    @Test func excludedDirectoriesAreNotWalked() throws {
        defer { pki.remove() }
        let leaf = try pki.selfSignedLeaf("leaf")
        let root = try pki.makeDirectory("certs")
        try addPair(in: try pki.makeDirectory("certs/site"), from: leaf)
        let state = try pki.makeDirectory("certs/state")
        try addPair(in: state, from: leaf)
        let found = try CertificateDirectory.find(in: root, excluding: [state])
        #expect(found.map(\.certificatePath) == [root + "/site/tls.crt"])
        #expect(try CertificateDirectory.find(in: root).count == 2)
    }

    @Test func missingRootIsARootError() throws {
        defer { pki.remove() }
        let result = CertificateDirectory.load(directory: pki.path("gone"))
        let error = try #require(result.rootError)
        #expect(error.code == ENOENT)
        #expect(result.pairs.isEmpty && result.problems.count == 1)
    }

    @Test(.enabled(if: getuid() != 0, "root reads any directory"))
    func unreadableSubdirectoryIsReported() throws {
        defer {
            _ = chmod(pki.path("certs/locked"), 0o755)
            pki.remove()
        }
        let root = try pki.makeDirectory("certs")
        let locked = try pki.makeDirectory("certs/locked")
        #expect(chmod(locked, 0) == 0)
        let result = CertificateDirectory.load(directory: root)
        #expect(result.rootError == nil)
        #expect(result.unreadableDirectories.map(\.description) == ["cannot read directory \(locked): \(String(cString: strerror(EACCES)))"])
    }

    @Test func rejectedPairKeepsThePreviousOneAndWarningsAreCollected() throws {
        defer { pki.remove() }
        let root = try pki.makeDirectory("certs")
        let site = try pki.makeDirectory("certs/site")
        let leaf = try pki.selfSignedLeaf("leaf")
        try addPair(in: site, from: leaf)
        let first = CertificateDirectory.load(directory: root)
        let pair = try #require(first.pairs.first)
        #expect(first.rejectedPairs.isEmpty)

        // Five days before expiry: served, with a warning.
        let soon = CertificateDirectory.load(directory: root, now: pair.notAfter - 5 * 86_400 - 60)
        #expect(soon.pairs.count == 1)
        #expect(soon.pairWarnings.contains {
            $0.certificatePath == site + "/tls.crt" && $0.message.hasPrefix("certificate expires in 5 days")
        })
        #expect(soon.warnings.contains { $0.hasPrefix(site + "/tls.crt: certificate expires in 5 days") })

        // The leaf moved behind its issuer: rejected, and the previous pair keeps serving.
        let ca = try pki.root("ca")
        let issued = try pki.issue("issued", by: ca)
        try pki.concatenate([ca.certificate, issued.certificate], into: "certs/site/tls.crt")
        try pki.write(site + "/tls.key", try pki.read(issued.key))
        let second = CertificateDirectory.load(directory: root, previous: CertificateDirectory.PreviousPairs(first.pairs))
        #expect(second.pairs.count == 1 && second.pairs.first === pair)
        #expect(second.keptPrevious == [site + "/tls.crt"])
        #expect(second.rejectedPairs.count == 1)
        #expect(second.problems.first?.hasPrefix("kept the previous \(site)/tls.crt: certificates out of order") == true)
    }

    @Test func mismatchProblemNamesEachFileOnce() throws {
        defer { pki.remove() }
        let root = try pki.makeDirectory("certs")
        let leaf = try pki.selfSignedLeaf("leaf")
        let other = try pki.selfSignedLeaf("other")
        try pki.write(root + "/tls.crt", try pki.read(leaf.certificate))
        try pki.write(root + "/tls.key", try pki.read(other.key))
        let result = CertificateDirectory.load(directory: root)
        #expect(result.problems == ["skipped: private key \(root)/tls.key does not match certificate \(root)/tls.crt"])
    }
}
